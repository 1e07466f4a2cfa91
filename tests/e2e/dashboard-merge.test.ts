/**
 * A merge conflict answered from `dash dashboard`, black box: the compiled binary in tmux against
 * the compiled `dash serve`; two real agents changed the same line of a real repository. Shift+A
 * shows the conflict and its sides; a digit, then y, keeps that side and the merge finishes.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { git } from "../../src/core/worktrees.ts";
import type { MergeOutcome } from "../../src/domain/merge.ts";
import { checkoutState, tempRepo } from "../git-helpers.ts";
import { tempHome, until } from "../helpers.ts";
import { apiCaller, compiledDash, type Served, startServe } from "./compiled.ts";
import { requireTmux, Tmux } from "./tmux.ts";

requireTmux();
const home = tempHome("dash-dashboard-merge-");
const { repo, base } = tempRepo({ "shared.txt": "original\n" });
const before = checkoutState(repo);
let served: Served | undefined;
let session: Tmux | undefined;
let key = "";

const api = apiCaller(
  () => served?.url,
  () => key,
);

beforeAll(async () => {
  served = await startServe(await compiledDash(), home.dir);
  key = (JSON.parse(readFileSync(join(home.dir, "credentials"), "utf8")) as { key: string }).key;
}, 120_000);

afterAll(async () => {
  session?.kill();
  served?.proc.kill("SIGTERM");
  await served?.proc.exited;
  home.cleanup();
});

test("Shift+A shows the conflict's files and sides; 2 then y keeps the second side and the merge finishes", async () => {
  const script = 'echo "by $DASH_AGENT_ID" > shared.txt && git commit -qam "$DASH_AGENT_ID"';
  const config = { repo, command: ["sh", "-c", script], maxRetries: 0 };
  const swarm = await api<{ id: string }>("POST", "/api/swarm", {
    name: "clash",
    task: "t",
    initialAgents: 2,
    config,
  });
  await until(async () => {
    await Bun.sleep(200);
    return (await api<{ status: string }>("GET", `/api/swarm/${swarm.id}`)).status === "completed";
  }, 20_000);
  const stopped = await api<MergeOutcome>("POST", `/api/swarm/${swarm.id}/merge`, { into: "review" });
  expect(stopped.status).toBe("conflict");
  const [first, second] = stopped.conflict?.sides ?? [];

  const bin = await compiledDash();
  session = Tmux.start(["sh", "-c", '"$@"; exec sleep 3600', "sh", bin, "dashboard"], {
    width: 120,
    height: 34,
    env: { DASH_HOME: home.dir },
    cwd: home.dir,
  });
  // Live, with the REST snapshot on screen (the budget total), as the other dashboard tests wait.
  const ready = (screen: string) =>
    screen.includes("● live") && screen.includes("1 approval") && screen.includes("Total: $0.00");
  await session.waitFor(ready, 15_000, "live, the snapshot and the approval");
  session.keys("A");
  const overlay = await session.waitForText("conflict in shared.txt: keep which side?");
  expect(overlay).toContain(`1. ${first?.name} (${first?.branch})`);
  expect(overlay).toContain(`2. ${second?.name} (${second?.branch})`);
  session.keys("2");
  await session.waitForText(`Approve keeping ${second?.name} in this merge?`);
  session.keys("y");
  await session.waitForText("merged 2 branches into review");
  expect(git(["show", "review:shared.txt"], repo)).toBe(`by ${second?.agentId}`);
  expect(git(["rev-list", "--merges", "--count", `${base}..review`], repo)).toBe("2");
  expect(git(["show", `${first?.branch}:shared.txt`], repo)).toBe(`by ${first?.agentId}`);
  expect(checkoutState(repo)).toEqual(before);
}, 60_000);
