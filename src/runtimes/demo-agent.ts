import { costAt } from "./pricing.ts";

/**
 * `dash __demo-agent <seconds>`: demo load, labelled as such (the runtime is named "demo"). It
 * plays an agent over `seconds`: ten steps of made-up progress and token usage priced like a
 * small model, then a result, all through the ordinary report protocol.
 */
const STEPS = 10;
/** Priced like a small model, so the made-up dollars look plausible. */
const DEMO_PRICE = { input: 0.15, output: 0.6 };

export async function runDemoAgent(secondsArg: string | undefined): Promise<number> {
  const asked = Number(secondsArg);
  const seconds =
    Number.isFinite(asked) && secondsArg !== undefined ? Math.min(3600, Math.max(0, asked)) : 10;
  const say = (report: Record<string, unknown>) =>
    console.log(JSON.stringify({ dash: report.dash, ...report }));
  console.log(`demo agent: ${STEPS} steps over ${seconds} s (made-up work, no model is called)`);
  for (let step = 1; step <= STEPS; step++) {
    await Bun.sleep((seconds * 1000) / STEPS);
    const promptTokens = 400 + Math.floor(Math.random() * 800);
    const completionTokens = 50 + Math.floor(Math.random() * 250);
    const costUsd = costAt(DEMO_PRICE, promptTokens, completionTokens);
    console.log(`step ${step}: thinking about the task`);
    say({ dash: "usage", model: "demo", promptTokens, completionTokens, costUsd });
    say({ dash: "progress", current: step, total: STEPS });
  }
  say({ dash: "result", result: { demo: true, steps: STEPS } });
  return 0;
}
