/**
 * The base memory of what an operator runs: the compiled `dash serve` (built from this tree), idle
 * on an empty database, beside the floor under it, a compiled bare Bun.serve with bun:sqlite and a
 * WebSocket handler (Bun's own runtime, nothing of Dash). Resident memory is split as Linux counts
 * it: file-backed pages (the executable's code, shared by every process of that binary and
 * dropped under memory pressure) and anonymous ones (heap, private to the process).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBinary, hostTarget } from "../build.ts";
import { kB, mib } from "./proc.ts";
import { VALUES } from "./record.ts";
import { table } from "./results.ts";
import { withBenchServer } from "./serve.ts";

/** Read this long after the server answers /health: start-up garbage collected, nothing asked of it. */
const SETTLE_MS = 5_000;

const FLOOR = `import { Database } from "bun:sqlite";
const db = new Database(process.argv[2] + "/floor.db", { create: true });
db.run("PRAGMA journal_mode = WAL");
db.query("SELECT 1").get();
const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("ok"), websocket: { message() {} } });
console.log(server.port);
`;

interface Resident {
  total: number;
  anon: number;
  file: number;
}

const resident = (pid: number): Resident => ({
  total: kB(`/proc/${pid}/status`, "VmRSS"),
  anon: kB(`/proc/${pid}/status`, "RssAnon"),
  file: kB(`/proc/${pid}/status`, "RssFile"),
});

async function floor(dir: string): Promise<Resident> {
  const source = join(dir, "floor.ts");
  writeFileSync(source, FLOOR);
  const bin = join(dir, "floor");
  const built = Bun.spawnSync([process.execPath, "build", "--compile", source, "--outfile", bin]);
  if (built.exitCode !== 0) throw new Error(`building the floor server: ${built.stderr.toString()}`);
  const proc = Bun.spawn([bin, dir], { stdout: "pipe", stderr: "inherit" });
  try {
    await proc.stdout.getReader().read();
    await Bun.sleep(SETTLE_MS);
    return resident(proc.pid);
  } finally {
    proc.kill();
    await proc.exited;
  }
}

export async function benchServerRss(): Promise<void> {
  if (process.platform !== "linux") return void console.log("\nServer base memory: Linux only (/proc)");
  const dir = mkdtempSync(join(tmpdir(), "dash-rss-"));
  try {
    const bin = join(dir, "dash");
    await buildBinary(hostTarget(), bin);
    let dash: Resident = { total: 0, anon: 0, file: 0 };
    await withBenchServer(
      "log: { level: warn }\n",
      async (server) => {
        await Bun.sleep(SETTLE_MS);
        dash = resident(server.pid);
      },
      [],
      bin,
    );
    const bare = await floor(dir);
    VALUES.set("server RSS idle, compiled", dash.total / 1024);
    VALUES.set("server RSS idle, compiled, anonymous", dash.anon / 1024);
    const row = (name: string, r: Resident) => [name, mib(r.total), mib(r.file), mib(r.anon)];
    console.log(
      `\nServer base memory, ${SETTLE_MS / 1000} s after start, idle, empty database\n\n${table(
        ["process", "resident (VmRSS)", "file-backed (code, shared)", "anonymous (private)"],
        [
          row("compiled `dash serve`", dash),
          row("floor: compiled bare Bun.serve + bun:sqlite + WebSocket", bare),
          [
            "Dash over the floor",
            mib(dash.total - bare.total),
            mib(dash.file - bare.file),
            mib(dash.anon - bare.anon),
          ],
        ],
      )}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchServerRss();
