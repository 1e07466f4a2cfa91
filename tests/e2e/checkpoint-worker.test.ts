import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { tempHome } from "../helpers.ts";
import { compiledDash, startServe } from "./compiled.ts";

// The compiled binary embeds the checkpoint worker as a module of its own (build.ts): the server
// it runs must start that worker (its second connection to dash.db), not fall back with a warning.
const home = tempHome("dash-wal-bin-");
let bin = "";
beforeAll(async () => {
  bin = await compiledDash();
}, 120_000);
afterAll(() => home.cleanup());

/** How many of the process's open files are the database file itself (one per connection). */
function connections(pid: number, db: string): number {
  const fds = readdirSync(`/proc/${pid}/fd`);
  return fds.filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`) === db;
    } catch {
      return false; // closed meanwhile
    }
  }).length;
}

test.if(process.platform === "linux")(
  "dash serve from the binary checkpoints in its worker; a graceful stop folds the WAL in",
  async () => {
    const served = await startServe(bin, home.dir);
    const db = join(home.dir, "dash.db");
    for (let i = 0; i < 100 && connections(served.proc.pid, db) < 2; i++) await Bun.sleep(20);
    expect(connections(served.proc.pid, db)).toBe(2);
    served.proc.kill("SIGTERM");
    expect(await served.proc.exited).toBe(0);
    await served.drained;
    expect(served.log()).not.toContain("checkpoints run on commit");
    expect(existsSync(`${db}-wal`)).toBe(false);
  },
  30_000,
);
