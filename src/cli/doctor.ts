import { defineCommand } from "citty";
import { resolveConnection } from "../client/connection.ts";
import { type Config, dashHome, loadConfig } from "../config.ts";
import { DashError } from "../domain/errors.ts";
import { clientArgs } from "./common.ts";
import {
  type Check,
  type CheckResult,
  type CheckStatus,
  configCheck,
  type DoctorContext,
  keyCheck,
  runCheck,
  serverCheck,
} from "./doctor-checks.ts";
import { databaseCheck, diskCheck } from "./doctor-local.ts";
import { gitCheck, rootToolChecks, runtimeChecks, sandboxCheck, terminalCheck } from "./doctor-tools.ts";
import { EXIT } from "./run.ts";
import { bold, dim, green, red, yellow } from "./style.ts";

/** No check waits longer than this: a server that does not answer, a CLI that hangs on --version. */
const TIMEOUT_MS = 5000;

export function doctorContext(
  flags: { url?: string; key?: string },
  env: Record<string, string | undefined> = process.env,
): DoctorContext {
  let config: Config | null = null;
  let configError: string | null = null;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof DashError)) throw error;
    configError = error.message;
  }
  return {
    env,
    connection: resolveConnection(flags, env),
    config,
    configError,
    home: dashHome(env),
    platform: process.platform,
    uid: process.getuid?.() ?? -1,
    isTTY: Boolean(process.stdout.isTTY),
    timeoutMs: TIMEOUT_MS,
  };
}

/** Every check, in the order a newcomer fixes things: the server first, the niceties last. */
export function doctorChecks(ctx: DoctorContext): Check[] {
  return [
    serverCheck(ctx),
    keyCheck(ctx),
    configCheck(ctx),
    databaseCheck(ctx),
    diskCheck(ctx),
    sandboxCheck(ctx),
    ...rootToolChecks(ctx),
    gitCheck(ctx),
    ...runtimeChecks(ctx),
    terminalCheck(ctx),
  ];
}

export interface DoctorReport {
  ok: boolean;
  checks: CheckResult[];
}

/** Runs the checks side by side (each bounded by the timeout); ok unless an essential one fails. */
export async function runDoctor(ctx: DoctorContext): Promise<DoctorReport> {
  const checks = await Promise.all(doctorChecks(ctx).map((check) => runCheck(check, ctx.timeoutMs)));
  return { ok: checks.every((c) => c.status !== "fail"), checks };
}

const MARK: Record<CheckStatus, string> = { ok: green("✓"), warn: yellow("!"), fail: red("✗") };

export function humanReport(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.name.length));
  const lines = report.checks.flatMap((c) => {
    const line = `${MARK[c.status]} ${c.name.padEnd(width)}  ${c.status === "ok" ? c.detail : bold(c.detail)}`;
    return c.fix ? [line, `    ${dim("fix:")} ${c.fix}`] : [line];
  });
  const count = (s: CheckStatus) => report.checks.filter((c) => c.status === s).length;
  const warnings = count("warn") > 0 ? ` (${count("warn")} warning(s))` : "";
  const summary = report.ok
    ? green(`Ready: every essential check passes${warnings}.`)
    : red(`Not ready: ${count("fail")} essential check(s) fail${warnings}.`);
  return [...lines, "", summary].join("\n");
}

export default defineCommand({
  meta: {
    name: "doctor",
    description:
      "Check this machine and the server: server, key, config, database, disk, sandbox, git, agent CLIs, terminal (a fix for each miss)",
  },
  args: { ...clientArgs },
  async run({ args }) {
    const report = await runDoctor(doctorContext(args));
    console.log(args.json ? JSON.stringify(report, null, 2) : humanReport(report));
    process.exitCode = report.ok ? EXIT.ok : EXIT.failure;
  },
});
