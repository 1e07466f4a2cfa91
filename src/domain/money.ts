import type { Currency } from "./budget.ts";
import { DashError } from "./errors.ts";

/**
 * Money is stored as integers so sums are exact (DESIGN.md §3): micro-USD for USD, whole tokens
 * for token budgets. The API shows dollars as numbers; these two functions are the only bridge.
 */
const MICROS_PER_USD = 1_000_000;

export function toUnits(amount: number, currency: Currency): number {
  if (!Number.isFinite(amount) || amount < 0)
    throw new RangeError(`amount must be a finite number ≥ 0, got ${amount}`);
  return currency === "USD" ? Math.round(amount * MICROS_PER_USD) : Math.round(amount);
}

export function fromUnits(units: number, currency: Currency): number {
  return currency === "USD" ? units / MICROS_PER_USD : units;
}

export function usdToMicros(usd: number): number {
  return toUnits(usd, "USD");
}

/** A budget amount a client gives: it must be worth at least one unit (a micro-dollar or a token). */
export function budgetUnits(amount: number, currency: Currency, field: string): number {
  const units = toUnits(amount, currency);
  if (units < 1) {
    throw new DashError(
      "VALIDATION_ERROR",
      `${field} ${amount} is less than one ${currency === "USD" ? "micro-dollar" : "token"}`,
      {
        field,
        issue: "too small",
      },
    );
  }
  return units;
}
