import type { BudgetRecord } from "../domain/budget.ts";
import { cacheRates, type Price } from "../runtimes/pricing.ts";
import type { ChainBudget } from "./budget.ts";

/**
 * Admission of one model call (issue 23), pure: the call's worst case must fit in every budget of
 * the agent's chain (spent + reserved + worst ≤ allocated) before it is forwarded. The worst case
 * is the input bound (a token is at least one byte, so the request's size bounds its prompt) at
 * the dearest input rate, plus the output tokens it may produce at the output rate. When the room
 * left is smaller than what the request asks, its output is capped to what fits (never below the
 * floor); when only other calls' reservations are in the way, it waits for them to settle.
 */
export interface CallAsk {
  /** An upper bound on the prompt's tokens. */
  inputBound: number;
  /** The output tokens the request asks for (or the gateway's default when it names none). */
  requestedMaxTokens: number;
  /** Fewest output tokens worth forwarding a call for (a cap below it is refused instead). */
  floorTokens: number;
  /** Null: the price table does not know the model (a USD budget then refuses it). */
  price: Price | null;
  /** Input may be written to a prompt cache (`cache_control`), which costs more than input. */
  cacheWrite: boolean;
}

export type CallGrant =
  | { kind: "admit"; maxTokens: number; reserveUnits: number }
  | { kind: "wait" }
  | { kind: "refuse"; budget: BudgetRecord | null; message: string };

/** Micro-dollars per token are USD per million tokens: these are the rates in the chain's units. */
function ratesIn(budget: BudgetRecord, ask: CallAsk) {
  if (budget.currency === "tokens") return { input: 1, output: 1 };
  const price = ask.price as Price;
  const rates = cacheRates(price);
  const input = Math.max(price.input, rates.read, ask.cacheWrite ? rates.write : 0);
  return { input, output: price.output };
}

/** What the call may hold at most with `maxTokens` of output, in the chain's units (rounded up). */
export function worstCase(budget: BudgetRecord, ask: CallAsk, maxTokens: number): number {
  const rates = ratesIn(budget, ask);
  return Math.ceil(ask.inputBound * rates.input + maxTokens * rates.output);
}

/** The most output tokens that fit in `room` units after the input (-1: not even the input). */
function outputThatFits(budget: BudgetRecord, ask: CallAsk, room: number): number {
  const rates = ratesIn(budget, ask);
  const left = room - Math.ceil(ask.inputBound * rates.input);
  if (left < 0) return -1;
  if (rates.output === 0) return ask.requestedMaxTokens;
  // Floor, then step down while rounding would still pass the room (exactness in integer units).
  let tokens = Math.min(ask.requestedMaxTokens, Math.floor(left / rates.output));
  while (tokens > 0 && worstCase(budget, ask, tokens) > room) tokens--;
  return worstCase(budget, ask, tokens) > room ? -1 : tokens;
}

/**
 * The grant for a call: admit (with its output cap and reservation), wait (only calls in flight
 * hold the room it needs), or refuse (the money is spent). `final` turns a wait into the best
 * admission the room allows now, or a refusal: the caller has waited long enough. `own` is what
 * the calling agent itself holds for its step (a call is that step: it does not wait on itself).
 */
export function grantCall(chain: ChainBudget[], ask: CallAsk, final = false, own = 0): CallGrant {
  const usd = chain.find(({ budget }) => budget.currency === "USD");
  if (usd && !ask.price) {
    return {
      kind: "refuse",
      budget: usd.budget,
      message:
        "its model has no price, so a USD budget cannot bound it: add it under pricing: in config.yaml",
    };
  }
  let now = ask.requestedMaxTokens;
  let ever = ask.requestedMaxTokens;
  let tightest: BudgetRecord | null = null;
  let steps = 0;
  for (const { budget, reserved, inFlight = 0 } of chain) {
    // Other agents' steps stay held while they live; only calls in flight free up soon.
    const othersSteps = Math.max(0, reserved - inFlight - own);
    const spendable = budget.allocatedUnits - budget.spentUnits - othersSteps;
    const fitNow = outputThatFits(budget, ask, spendable - inFlight);
    const fitEver = outputThatFits(budget, ask, spendable);
    if (fitEver < ever) [tightest, steps] = [budget, othersSteps];
    now = Math.min(now, fitNow);
    ever = Math.min(ever, fitEver);
  }
  const floor = Math.min(ask.requestedMaxTokens, ask.floorTokens);
  const admit = (maxTokens: number): CallGrant => ({
    kind: "admit",
    maxTokens,
    reserveUnits: chain[0] ? worstCase(chain[0].budget, ask, maxTokens) : 0,
  });
  if (now >= ask.requestedMaxTokens) return admit(ask.requestedMaxTokens);
  if (ever < floor) {
    const held = steps > 0 ? ` (other agents hold ${steps} units for the steps they report)` : "";
    return { kind: "refuse", budget: tightest, message: `no room left for this call${held}` };
  }
  if (now >= ever) return admit(ever);
  if (!final) return { kind: "wait" };
  if (now >= floor) return admit(now);
  return {
    kind: "refuse",
    budget: tightest ?? chain[0]?.budget ?? null,
    message: "its room is held by calls in flight",
  };
}
