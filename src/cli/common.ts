import { defineCommand } from "citty";
import { DashClient } from "../client/client.ts";
import { resolveConnection } from "../client/connection.ts";
import { bold, cyan, dim, green, red, yellow } from "./style.ts";

/** Flags every client command takes. */
export const clientArgs = {
  url: { type: "string", description: "Dash server URL (DASH_URL; default: the local server)" },
  key: { type: "string", description: "API key (DASH_API_KEY; default: ~/.dash/credentials)" },
  json: { type: "boolean", description: "Print JSON for scripts" },
} as const;

export function clientFor(args: { url?: string; key?: string }): DashClient {
  return new DashClient(resolveConnection(args));
}

/** `--json` prints the data as JSON; otherwise `human()` renders it for people. */
export function output(args: { json?: boolean }, data: unknown, human: () => string): void {
  console.log(args.json ? JSON.stringify(data, null, 2) : human());
}

const STATUS_COLOR: Record<string, (s: string) => string> = {
  running: green,
  active: green,
  spawning: cyan,
  creating: cyan,
  idle: dim,
  paused: yellow,
  completed: bold,
  failed: red,
  killed: red,
  destroyed: dim,
};

export const status = (s: string): string => (STATUS_COLOR[s] ?? ((x: string) => x))(s);

export function money(amount: number, currency: "USD" | "tokens"): string {
  return currency === "USD" ? `$${amount.toFixed(2)}` : `${Math.round(amount).toLocaleString("en-US")} tok`;
}

/** "3s", "5m", "2h", "4d" since an ISO time. */
export function age(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** A text bar for a share from 0 to 100: `[#####-----] 50%`. */
export function bar(percent: number, width = 10): string {
  const filled = Math.round((Math.min(100, Math.max(0, percent)) / 100) * width);
  const paint = percent >= 90 ? red : percent >= 75 ? yellow : green;
  return `${paint("#".repeat(filled))}${dim("-".repeat(width - filled))} ${Math.round(percent)}%`;
}

/** Parses a CLI number or throws a usage error naming the flag. */
export function numberArg(
  name: string,
  value: string | undefined,
  options: { integer?: boolean; min?: number } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const bad =
    value.trim() === "" ||
    !Number.isFinite(n) ||
    (options.integer && !Number.isInteger(n)) ||
    (options.min !== undefined && n < options.min);
  if (bad) {
    const what = options.integer ? "a whole number" : "a number";
    throw new UsageError(
      `${name} must be ${what}${options.min !== undefined ? ` ≥ ${options.min}` : ""}, got "${value}"`,
    );
  }
  return n;
}

/** A mistake in how a command was called (exit code 2). */
export class UsageError extends Error {
  override readonly name = "CLIError";
}

/** A subcommand that takes one id, calls the server with it and prints the result (kill, pause…). */
export function idCommand<T>(
  meta: { name: string; description: string; idOf: string },
  call: (client: DashClient, id: string) => Promise<T>,
  human: (result: T) => string,
) {
  return defineCommand({
    meta: { name: meta.name, description: meta.description },
    args: { id: { type: "positional", required: true, description: `${meta.idOf} id` }, ...clientArgs },
    async run({ args }) {
      const result = await call(clientFor(args), args.id);
      output(args, result, () => human(result));
    },
  });
}
