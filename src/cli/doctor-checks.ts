import { DashClient } from "../client/client.ts";
import type { Connection } from "../client/connection.ts";
import type { Config } from "../config.ts";
import { DashError } from "../domain/errors.ts";
import { VERSION } from "../version.ts";

export type CheckStatus = "ok" | "warn" | "fail";

/** One line of `dash doctor`: what was checked, what was found, and for a miss what to do. */
export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

export type Outcome = Omit<CheckResult, "name">;

/** A check to run. Only an essential one can fail the run; any other miss is a warning. */
export interface Check {
  name: string;
  essential: boolean;
  run(): Promise<Outcome>;
}

/** What the checks look at, gathered once so tests can point them elsewhere (another PATH…). */
export interface DoctorContext {
  env: Record<string, string | undefined>;
  connection: Connection;
  /** null when the configuration does not load (configError says why). */
  config: Config | null;
  configError: string | null;
  home: string;
  platform: NodeJS.Platform;
  uid: number;
  isTTY: boolean;
  timeoutMs: number;
}

export const ok = (detail: string): Outcome => ({ status: "ok", detail });
export const warn = (detail: string, fix?: string): Outcome => ({ status: "warn", detail, fix });
export const fail = (detail: string, fix?: string): Outcome => ({ status: "fail", detail, fix });

/**
 * Runs a check within `timeoutMs` so doctor never hangs on a server that does not answer or a CLI
 * that waits for input. A check that throws or times out is a miss of its kind, never a crash.
 */
export async function runCheck(check: Check, timeoutMs: number): Promise<CheckResult> {
  const miss: CheckStatus = check.essential ? "fail" : "warn";
  let timer: Timer | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(
      () => resolve({ status: miss, detail: `no answer within ${timeoutMs / 1000}s` }),
      timeoutMs,
    );
  });
  try {
    const outcome = await Promise.race([check.run(), timeout]);
    const status = outcome.status === "fail" && !check.essential ? "warn" : outcome.status;
    return { name: check.name, ...outcome, status };
  } catch (error) {
    return { name: check.name, status: miss, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** A client whose every request gives up after `timeoutMs` and never waits out a 429. */
function timedClient(ctx: DoctorContext): DashClient {
  const fetcher = ((input: string | URL | Request, init?: RequestInit) =>
    fetch(input, { ...init, signal: AbortSignal.timeout(ctx.timeoutMs) })) as typeof fetch;
  return new DashClient(ctx.connection, fetcher, 0);
}

const SERVER_FIX =
  "start it with `dash serve` (or point to yours with --url or DASH_URL; `dash demo` runs one of its own)";

export function serverCheck(ctx: DoctorContext): Check {
  return {
    name: "server",
    essential: true,
    async run() {
      const url = ctx.connection.url;
      try {
        const health = await timedClient(ctx).health();
        const detail = `${url}: Dash ${health.version}, up ${health.uptimeSeconds}s`;
        if (health.version === VERSION) return ok(detail);
        return warn(
          `${detail}; this CLI is ${VERSION}`,
          "use a CLI of the server's version (older or newer ones may not read its answers)",
        );
      } catch (error) {
        if (!(error instanceof DashError)) throw error;
        if (error.code === "UNREACHABLE") {
          const why = /\(([^)]+)\)\./.exec(error.message)?.[1];
          return fail(`no Dash server answers at ${url}${why ? ` (${why})` : ""}`, SERVER_FIX);
        }
        // It answered, but not as a healthy Dash: a 503 (its database fails) or another service.
        return fail(`${url} answers, but not as a healthy Dash server: ${error.message}`, SERVER_FIX);
      }
    },
  };
}

const KEY_FIX =
  "a key comes from --key, DASH_API_KEY, or $DASH_HOME/credentials (written by the first `dash serve` " +
  "on the server's machine, sent only to the URL it names); an admin makes more with `dash keys create <name>`";

/** The key is accepted: one cheap authenticated read (the first agent, if any). */
export function keyCheck(ctx: DoctorContext): Check {
  return {
    name: "key",
    essential: true,
    async run() {
      const { key, keySource } = ctx.connection;
      if (!key) return fail(`no API key found for ${ctx.connection.url}`, KEY_FIX);
      try {
        await timedClient(ctx).listAgents({ limit: 1 });
        return ok(`accepted (from ${keySource})`);
      } catch (error) {
        if (!(error instanceof DashError)) throw error;
        if (error.code === "UNREACHABLE") return warn("not checked: no server answers");
        if (error.code === "FORBIDDEN") {
          return warn(
            `accepted (from ${keySource}), but it may not read: ${error.message}`,
            "use a key with the read permission: `dash keys create <name> --permissions read,write`",
          );
        }
        return fail(`the key from ${keySource} is refused: ${error.message}`, KEY_FIX);
      }
    },
  };
}

/** config.yaml loads: `dash serve` refuses to start on a bad one. */
export function configCheck(ctx: DoctorContext): Check {
  return {
    name: "config",
    essential: true,
    async run() {
      const file = `${ctx.home}/config.yaml`;
      if (ctx.configError) {
        return fail(ctx.configError, `fix ${file} (or the environment variable it names)`);
      }
      return ok((await Bun.file(file).exists()) ? file : `defaults (no ${file})`);
    },
  };
}
