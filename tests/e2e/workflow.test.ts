/**
 * PRD §9.3, the complete workflow, black box: the compiled `dash serve` with a command runtime in
 * its config.yaml, the compiled CLI creating a swarm of 2 agents computing fibonacci(10) and
 * waiting for it (`--wait`), the budget checked, and a destroy that leaves no process and no
 * workspace behind.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SwarmResponseSchema } from "../../src/domain/swarm.ts";
import { BudgetListSchema, SwarmListSchema } from "../../src/domain/wire.ts";
import { groupAlive } from "../../src/runtimes/process.ts";
import { tempHome } from "../helpers.ts";
import { compiledDash, runDash, startServe } from "./compiled.ts";

const home = tempHome("dash-workflow-");
let bin = "";
beforeAll(async () => {
  bin = await compiledDash();
}, 120_000);
afterAll(() => home.cleanup());

// fibonacci(n) in sh; one usage report per step, then the result. `sleep` keeps the agents
// alive for the destroy test.
const FIB = `n=\${1:-10}; a=0; b=1; i=0; while [ $i -lt $n ]; do t=$((a+b)); a=$b; b=$t; i=$((i+1));
echo '{"dash":"usage","promptTokens":10,"completionTokens":2,"costUsd":0.0001}'; done
sleep "\${2:-0}"; echo '{"dash":"result","result":'$a'}'`;

const dash = (args: string[], env: Record<string, string> = {}) => runDash(bin, home.dir, args, env);

test("create, spawn, complete fibonacci(10), budget within the allocation, destroy cleans up", async () => {
  writeFileSync(
    join(home.dir, "config.yaml"),
    `runtimes:\n  fib:\n    kind: command\n    command: ["sh", "-c", ${JSON.stringify(FIB)}, "fib", "10"]\n  slow:\n    kind: command\n    command: ["sh", "-c", ${JSON.stringify(FIB)}, "fib", "10", "30"]\n`,
  );
  const served = await startServe(bin, home.dir);
  try {
    const args = ["swarm", "create", "e2e-test", "--task", "Calculate fibonacci(10)", "--agents", "2"];
    const created = dash([...args, "--budget", "1", "--runtime", "fib", "--wait", "--json"]);
    expect(created.err).toBe("");
    expect(created.code).toBe(0);
    const swarm = SwarmResponseSchema.parse(JSON.parse(created.out));
    expect(swarm).toMatchObject({ status: "completed", agentCount: 2, result: [55, 55] });
    expect(swarm.outcome).toMatchObject({ completed: 2, failed: 0, killed: 0 });
    expect(swarm.budget.spent).toBeGreaterThan(0);
    expect(swarm.budget.spent).toBeLessThanOrEqual(swarm.budget.allocated);
    expect(swarm.budget.spent).toBeCloseTo(2 * 10 * 0.0001, 9);

    // The people's view of --wait: a progress line, then the result.
    const human = dash([...args, "--budget", "1", "--runtime", "fib", "--wait"]);
    expect(human.code).toBe(0);
    expect(human.err).toContain("2/2 agents done");
    expect(human.out).toContain("result:");
    const budgets = BudgetListSchema.parse(JSON.parse(dash(["budget", "show", "--json"]).out));
    expect(budgets.budgets.find((b) => b.entityId === swarm.id)).toMatchObject({
      spent: swarm.budget.spent,
      reserved: 0,
    });

    // Destroy mid-run: the agents' processes are gone and so are their workspaces.
    const slow = SwarmResponseSchema.parse(
      JSON.parse(
        dash(["swarm", "create", "slow", "--task", "t", "--agents", "2", "--runtime", "slow", "--json"]).out,
      ),
    );
    const key = JSON.parse(await Bun.file(join(home.dir, "credentials")).text()).key as string;
    const agents = async () =>
      (
        (await (
          await fetch(`${served.url}/api/agents?swarmId=${slow.id}`, {
            headers: { authorization: `Bearer ${key}` },
          })
        ).json()) as {
          agents: Array<{ id: string; status: string }>;
        }
      ).agents;
    for (let i = 0; i < 200 && !(await agents()).every((a) => a.status === "running"); i++)
      await Bun.sleep(50);
    const workspaces = join(home.dir, "workspaces", slow.id);
    expect(readdirSync(workspaces)).toHaveLength(2);
    const { Database } = await import("bun:sqlite");
    const db = new Database(join(home.dir, "dash.db"), { readonly: true });
    const pids = (
      db.query("SELECT pid FROM agents WHERE swarm_id = ?").all(slow.id) as { pid: number }[]
    ).map((r) => r.pid);
    db.close();
    expect(pids.every((pid) => groupAlive(pid))).toBe(true);
    expect(dash(["swarm", "destroy", slow.id]).code).toBe(0);
    for (let i = 0; i < 200 && existsSync(workspaces); i++) await Bun.sleep(50);
    expect(pids.filter((pid) => groupAlive(pid))).toEqual([]);
    expect(existsSync(workspaces)).toBe(false);
    const list = SwarmListSchema.parse(JSON.parse(dash(["swarm", "list", "--json"]).out));
    expect(list.swarms.find((s) => s.id === slow.id)?.status).toBe("destroyed");
  } finally {
    served.proc.kill("SIGTERM");
    await served.proc.exited;
  }
}, 120_000);
