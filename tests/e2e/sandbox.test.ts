import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { AgentResponseSchema } from "../../src/domain/agent.ts";
import { SwarmResponseSchema } from "../../src/domain/swarm.ts";
import { tempHome } from "../helpers.ts";
import { compiledDash, startServe } from "./compiled.ts";

// Fail closed (issue 9): the compiled server on a PATH without bwrap. A sandboxed swarm is refused
// at once (issue 25) with what is missing and how to install it, and nothing of it is written or
// run; `fileSandbox: false` runs, recorded as "off".
const home = tempHome("dash-sandbox-e2e-");
const tools = join(home.dir, "bin");
let bin = "";
beforeAll(async () => {
  bin = await compiledDash();
  mkdirSync(tools);
  mkdirSync(join(home.dir, "dash"));
  for (const tool of ["sh", "touch"]) symlinkSync(Bun.which(tool) as string, join(tools, tool));
}, 120_000);
afterAll(() => home.cleanup());

test("no bwrap on PATH: a sandboxed swarm is refused with the install hint and nothing runs unconfined", async () => {
  const served = await startServe(bin, join(home.dir, "dash"), { PATH: tools });
  try {
    const { key } = JSON.parse(readFileSync(join(home.dir, "dash", "credentials"), "utf8")) as {
      key: string;
    };
    const api = async (path: string, body?: unknown) => {
      const res = await fetch(new URL(path, served.url), {
        method: body ? "POST" : "GET",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: body ? JSON.stringify(body) : undefined,
      });
      const answer: Record<string, unknown> = { status: res.status, ...((await res.json()) as object) };
      return answer;
    };
    const swarmOf = async (name: string, fileSandbox: boolean) => {
      const marker = join(home.dir, `${name}.ran`);
      const config = { command: ["sh", "-c", `touch ${marker}`], fileSandbox, maxRetries: 0 };
      const swarm = SwarmResponseSchema.parse(await api("/api/swarm", { name, task: "run", config }));
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { agents } = (await api(`/api/agents?swarmId=${swarm.id}`)) as { agents: unknown[] };
        const agent = AgentResponseSchema.parse(agents[0]);
        if (["completed", "failed"].includes(agent.status) || Date.now() > deadline) return { agent, marker };
        await Bun.sleep(50);
      }
    };
    const marker = join(home.dir, "confined.ran");
    const config = { command: ["sh", "-c", `touch ${marker}`], maxRetries: 0 };
    const refused = await api("/api/swarm", { name: "confined", task: "run", config });
    expect(refused.status).toBe(503);
    const { code, message } = refused.error as { code: string; message: string };
    expect(code).toBe("SANDBOX_UNAVAILABLE");
    expect(message).toContain("bubblewrap (bwrap), which is not installed");
    expect(message).toContain("apt-get install bubblewrap");
    expect(message).toContain("fileSandbox: false");
    expect((await api("/api/swarm")).swarms).toEqual([]);
    expect(existsSync(marker)).toBe(false);

    const open = await swarmOf("unconfined", false);
    expect(open.agent.status).toBe("completed");
    expect(open.agent.sandbox).toBe("off");
    expect(existsSync(open.marker)).toBe(true);
  } finally {
    served.proc.kill("SIGTERM");
    await served.proc.exited;
  }
}, 60_000);
