import { afterAll } from "bun:test";
import { NO_GATEWAY } from "../src/api/gateway/gateway.ts";
import { PRICES } from "../src/runtimes/pricing.ts";
import { testScheduler } from "./agents-helpers.ts";
import { testServer } from "./api-helpers.ts";
import { startMeteredProvider } from "./fake-metered-provider.ts";
import { ROOT } from "./helpers.ts";
import { testProviders } from "./test-providers.ts";

export { OPERATOR_KEY } from "./test-providers.ts";

/**
 * A real server with the gateway in front of a fake provider (both wire formats), and a real
 * scheduler whose agents are pointed at it; everything stops after the file's tests.
 */
export async function gatewayWorld(options: { waitMs?: number; maxConcurrency?: number } = {}) {
  const provider = startMeteredProvider();
  const providers = testProviders(provider.url);
  const gateway = {
    ...NO_GATEWAY,
    providers,
    prices: PRICES,
    waitMs: options.waitMs ?? 2000,
    minOutputTokens: 16,
  };
  const api = await testServer({}, { gateway });
  const url = `http://127.0.0.1:${api.server.port}`;
  const s = await testScheduler({ t: api.t, url, providers, maxConcurrency: options.maxConcurrency ?? 60 });
  afterAll(async () => {
    await s.close();
    await api.close();
    provider.stop();
  });
  /** An active swarm of command agents whose budget only notifies until its hard stop (no pause at 90%). */
  async function swarm(command: string[], budgetUsd: number, agents = 1) {
    const created = await api.t.lifecycle.createSwarm({
      name: `g-${Math.random().toString(36).slice(2, 8)}`,
      task: "call a model",
      initialAgents: agents,
      budget: { amount: budgetUsd, currency: "USD", threshold: 75, actions: { critical: "notify" } },
      config: { command, fileSandbox: false, maxRetries: 0 },
    });
    await api.t.lifecycle.moveSwarm(created.swarm.id, { to: "active" });
    return created;
  }
  return { provider, api, s, url, store: api.t.store, swarm };
}

/** The argv of an agent that calls through the gateway (tests/fixtures/gateway-caller.ts). */
export const caller = (...args: string[]) => [
  process.execPath,
  `${ROOT}/tests/fixtures/gateway-caller.ts`,
  ...args,
];
