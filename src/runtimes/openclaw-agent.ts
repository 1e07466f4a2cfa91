/**
 * `dash __openclaw-agent <task> [input]`: one agent as a session on an OpenClaw gateway. It runs
 * under the shim like every process agent, so it outlives the server and its log is the session's
 * answer. The session key is the agent's (`dash-<agentId>`); each run's key is kept in the
 * workspace (RunBook) before it is asked for, so a replaced attempt follows the same run and
 * never starts it twice. Usage comes from the session's history when a run ends, priced by the
 * gateway; reports say only what Dash has not recorded yet. SIGTERM (kill) aborts the run first.
 */
import { z } from "zod";
import { GatewayError } from "./openclaw-gateway.ts";
import { GatewayLink } from "./openclaw-link.ts";
import { beyond, NOTHING, RunBook, recordedByDash, runsSpent, type Spent } from "./openclaw-runs.ts";

export const OpenClawSettingsSchema = z.object({
  url: z.string().regex(/^wss?:\/\/\S+$/, "a ws:// or wss:// URL"),
  sessionKey: z.string().min(1).max(200),
  label: z.string().max(200),
  model: z.string().min(1).max(200).optional(),
  parentSessionKey: z.string().min(1).max(200).optional(),
  version: z.string(),
  /** How long one agent.wait call blocks before it is asked again. */
  waitSliceMs: z.number().int().positive().default(30_000),
  /** How long an unreachable gateway is waited for before the run fails. */
  reconnectForMs: z.number().int().nonnegative().default(60_000),
  requestTimeoutMs: z.number().int().positive().default(15_000),
  /** How long a tree child waits for its parent's session to exist. */
  parentWaitMs: z.number().int().nonnegative().default(30_000),
});
export type OpenClawSettings = z.infer<typeof OpenClawSettingsSchema>;

interface WaitAnswer {
  status?: string;
  stopReason?: string;
  terminalReply?: { text?: string };
  error?: unknown;
}

const report = (value: Record<string, unknown>) => console.log(JSON.stringify(value));
const CONTINUE = "You were paused. Continue the task where you left off.";

/** The gateway token: OpenClaw's own variable, or the PRD's OPENCLAW_API_KEY. */
export function gatewayToken(env: Record<string, string | undefined>): string | null {
  return env.OPENCLAW_GATEWAY_TOKEN || env.OPENCLAW_API_KEY || null;
}

export async function runOpenClawAgent(
  task: string,
  input: string | undefined,
  dir = process.cwd(),
): Promise<number> {
  const parsed = OpenClawSettingsSchema.safeParse(JSON.parse(process.env.DASH_OPENCLAW ?? "null"));
  if (!parsed.success) {
    report({ dash: "error", message: `bad openclaw runtime settings: ${z.prettifyError(parsed.error)}` });
    return 2;
  }
  const settings = parsed.data;
  const token = gatewayToken(process.env);
  if (!token) {
    report({
      dash: "error",
      message: "no gateway token: set OPENCLAW_GATEWAY_TOKEN (or OPENCLAW_API_KEY) where dash serve runs",
    });
    return 2;
  }
  const link = new GatewayLink(
    { url: settings.url, token, version: settings.version, timeoutMs: settings.requestTimeoutMs },
    settings.reconnectForMs,
  );
  try {
    return await follow(link, settings, input ? `${task}\n\n${input}` : task, dir);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    report({ dash: "error", message: error instanceof GatewayError ? `OpenClaw: ${message}` : message });
    return 1;
  } finally {
    link.close();
  }
}

async function follow(link: GatewayLink, settings: OpenClawSettings, message: string, dir: string) {
  let book = new RunBook(dir);
  const agentId = process.env.DASH_AGENT_ID ?? settings.sessionKey;
  let recorded: Spent = book.runs.length > 0 ? await recordedByDash(process.env) : NOTHING;
  let { entry, fresh } = book.current(agentId);
  const onTerm = () => {
    // Killed: the run must not go on in the gateway without anyone to account for it.
    void link
      .request("sessions.abort", { key: settings.sessionKey, runId: entry.key }, 3000)
      .finally(() => process.exit(143));
  };
  process.once("SIGTERM", onTerm);
  report({ dash: "progress", current: 0, total: 1 });
  if (settings.parentSessionKey && book.runs.length === 1) await underParent(link, settings);
  // Asking for a run by its key is idempotent: a run the gateway has already is answered, not rerun.
  const started = await link.request<{ sessionKey?: string }>("agent", {
    message,
    idempotencyKey: entry.key,
    sessionKey: settings.sessionKey,
    label: settings.label,
    ...(settings.model ? { model: settings.model } : {}),
  });
  report({ dash: "session", id: started.sessionKey ?? settings.sessionKey });
  console.log(
    fresh ? `run ${entry.key} started` : `following run ${entry.key}, started by an earlier attempt`,
  );
  for (;;) {
    const end = await waitFor(link, entry.key, settings.waitSliceMs);
    const ok = end.status === "ok";
    if (!ok && end.stopReason === "rpc") {
      // Aborted: by a pause, whose resume wrote a continuation's key into the book while this
      // process was stopped, or by someone else.
      book = new RunBook(dir);
      const next = book.after(entry);
      if (next) {
        console.log(`the run was paused; its continuation is ${next.key}`);
        // sessions.send adds the message to the session; `agent` there would rerun the aborted turn.
        await link.request("sessions.send", {
          key: settings.sessionKey,
          message: CONTINUE,
          idempotencyKey: next.key,
        });
        entry = next;
        continue;
      }
    }
    book.end(entry, ok ? "ok" : "error");
    recorded = await account(link, settings.sessionKey, book, recorded);
    process.off("SIGTERM", onTerm);
    if (!ok) {
      const why =
        end.stopReason === "rpc"
          ? "the run was aborted in the gateway"
          : `the run failed (${end.stopReason ?? end.status})`;
      report({ dash: "error", message: `OpenClaw: ${why}` });
      return 1;
    }
    const text = end.terminalReply?.text ?? "";
    if (text) console.log(text);
    report({ dash: "progress", current: 1, total: 1 });
    report({ dash: "result", result: text });
    return 0;
  }
}

/**
 * A child of the tree strategy gets its session under its parent's (sessions.create is idempotent).
 * The parent's session may not exist yet (its process is starting): it is waited for, up to
 * `parentWaitMs`, then the child goes on without the link rather than not at all.
 */
async function underParent(link: GatewayLink, settings: OpenClawSettings): Promise<void> {
  const { sessionKey: key, label, parentSessionKey } = settings;
  for (const end = Date.now() + settings.parentWaitMs; ; await Bun.sleep(500)) {
    try {
      await link.request("sessions.create", { key, label, parentSessionKey });
      return;
    } catch (error) {
      if (!(error instanceof GatewayError) || !/unknown parent session/.test(error.message)) throw error;
      if (Date.now() > end) break;
    }
  }
  console.log(`the parent session ${parentSessionKey} did not appear: this session has no parent`);
}

/** Blocks until the run ends; `agent.wait` answers "timeout" while it goes on (or is unknown). */
async function waitFor(link: GatewayLink, runId: string, sliceMs: number): Promise<WaitAnswer> {
  for (;;) {
    const answer = await link.request<WaitAnswer>(
      "agent.wait",
      { runId, timeoutMs: sliceMs },
      sliceMs + 15_000,
    );
    if (answer.status !== "timeout") return answer;
  }
}

/** Reports what the ended runs cost beyond what Dash has; returns the new total recorded. */
async function account(link: GatewayLink, key: string, book: RunBook, recorded: Spent): Promise<Spent> {
  const total = await runsSpent(link, key, new Set(book.runs.map((r) => r.key)));
  const more = beyond(total, recorded);
  if (more.promptTokens || more.completionTokens || more.micros) {
    report({
      dash: "usage",
      promptTokens: more.promptTokens,
      completionTokens: more.completionTokens,
      costUsd: more.micros / 1e6,
    });
  }
  return total;
}
