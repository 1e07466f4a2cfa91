import { describe, expect, test } from "bun:test";
import { EXIT } from "../../src/cli/run.ts";
import type { AgentRecord } from "../../src/domain/agent.ts";
import { inProcessCli } from "../cli-helpers.ts";
import { caller, gatewayWorld } from "../gateway-helpers.ts";

// `dash agent calls` and `dash budget show`'s spend by model, in this process, on a real gateway.
const world = await gatewayWorld();
const { dash, dashJson } = inProcessCli(world.url, world.api.keys.admin);

describe("the CLI shows the gateway's calls", () => {
  test("dash agent calls: settled, capped and refused calls; dash agent show says how it is metered", async () => {
    const { agents, swarm } = await world.swarm(caller("messages", "20", "whole", "OUT:400 spend"), 0.02);
    const agent = await world.s.waitFor((agents[0] as AgentRecord).id);
    expect(agent.status).toBe("killed");
    const [code, table] = await dash(["agent", "calls", agent.id]);
    expect(code).toBe(EXIT.ok);
    expect(table).toMatch(/STATUS\s+MODEL\s+MAX OUT/);
    expect(table).toMatch(/settled\s+claude-sonnet-4-5\s+1000\s/);
    expect(table).toMatch(/\(asked 1000\)/);
    expect(table).toMatch(/refused\s+claude-sonnet-4-5/);
    expect(table).toContain("Dash budget: no room left");
    const page = await dashJson<{ calls: Array<{ status: string }> }>([
      "agent",
      "calls",
      agent.id,
      "--limit",
      "1",
    ]);
    expect(page.calls).toHaveLength(1);
    expect(page.calls[0]?.status).toBe("refused");
    const [, shown] = await dash(["agent", "show", agent.id]);
    expect(shown).toContain("metered by its reports");
    const [, budget] = await dash(["budget", "show", "--swarm", swarm.id]);
    expect(budget).toContain("spend by model (gateway calls)");
    expect(budget).toMatch(/claude-sonnet-4-5\s+\d+\s+1\s+[\d,]+\s+[\d,]+\s+\$0\.0\d/);
  });

  test("an agent with no calls says so; a bad limit is a usage error", async () => {
    const { agents } = await world.swarm(["true"], 1);
    const id = (agents[0] as AgentRecord).id;
    await world.s.waitFor(id);
    expect((await dash(["agent", "calls", id]))[1]).toContain("No model calls through the gateway.");
    expect((await dash(["agent", "calls", id, "--limit", "0"]))[0]).toBe(EXIT.usage);
  });
});
