/**
 * The size bound of every free-form value a client or an agent can get stored (issue 24), in one
 * place: the schemas of src/domain and src/api/routes refer to these, and
 * tests/unit/field-bounds.test.ts fails when a body or query field of any route has no bound.
 *
 * Over HTTP a value over its bound is refused with 400 VALIDATION_ERROR naming the field
 * (`details.field`); a whole body over MAX_BODY_BYTES (src/api/errors.ts, 10 MiB) is 413
 * PAYLOAD_TOO_LARGE before it is parsed. What an agent prints is never refused (its run must go
 * on): report-protocol.ts stores an over-large value as a marker (or cut) and its output log keeps
 * the whole line.
 *
 * Text is counted in characters as zod counts them (UTF-16 code units, so at most 3 bytes of UTF-8
 * each); JSON in bytes of its UTF-8 serialization, and in levels of nesting.
 */

/** A free JSON value's bound: its serialized size and how deeply it may nest. */
export interface JsonBound {
  bytes: number;
  depth: number;
}

/** The JSON Schema keyword boundedJson() marks a field with; the field-bounds test looks for it. */
export const JSON_BOUND_KEY = "x-max-bytes";

const KiB = 1024;

export const LIMITS = {
  // ---- text, in characters ----
  /** A swarm's, agent's, stage's, key's or project's name: one cell of a table. */
  name: 100,
  /**
   * A task (swarm, agent, stage, reduceTask): a prompt. The CLIs get it as one argv string with
   * the input after it; 30 KB of UTF-8 plus an input leaves room under Linux's 128 KiB per string.
   */
  task: 10_000,
  /** A model name (swarm config, spawn, usage reports): real ones are well under 100. */
  model: 200,
  /** A runtime preset's or provider's name: a key of config.yaml. */
  presetName: 100,
  /** An approval's title: the question, one line of `dash approvals`. */
  title: 500,
  /** The reason of a move (pause, resume, kill) or of an answer to an approval. */
  reason: 1000,
  /** A merge approval's choice: a side's name, an agent id or a branch. */
  choice: 300,
  /** A git ref a client names (merge `into`, `baseRef`). */
  ref: 200,
  /** A filesystem path (allowedPaths, repo): Linux's PATH_MAX. */
  path: 4096,
  /** One entry of blockedCommands: a command name. */
  blockedCommand: 200,
  /** One argument of a raw argv (config.command). */
  arg: 10_000,
  /** A time in ISO 8601 (key expiresAt, events `since`): "2026-01-01T00:00:00.000+00:00" is 29. */
  timestamp: 64,
  /** The comma-separated event types of GET /api/events?type=: 50 types with room to spare. */
  typeList: 2000,

  // ---- lists, in items ----
  paths: 100,
  blockedCommands: 100,
  args: 1000,
  /** `inputs`: one agent (or mapper) each, so also the most agents one swarm plans. */
  inputs: 1000,
  stages: 50,
  eventTypes: 50,

  // ---- free JSON ----
  /** Agent metadata (POST /api/agents): a client's labels and references, not data. */
  metadata: { bytes: 64 * KiB, depth: 16 },
  /**
   * An approval's details: what a person reads to decide (a command, a summary, links); anything
   * bigger belongs in a file the details point to. Stored twice (the request and its event).
   */
  details: { bytes: 16 * KiB, depth: 16 },
  /** One item of a swarm's `inputs`: it becomes an agent's `{input}` (argv, as for the task). */
  input: { bytes: 64 * KiB, depth: 16 },

  // ---- what agents get stored through their output (report-protocol.ts) ----
  /**
   * An agent's result (a `result` report, a CLI's final answer): a whole answer at the default
   * 32k output tokens (~128 KB of text) is rare; a pipeline passes it on as the next `{input}`.
   * Over it, the agent's result is a marker ({ tooLarge, bytes, preview, … }); the log has it all.
   */
  result: { bytes: 64 * KiB, depth: 16 },
  /** What a result marker keeps of the start of the result, to recognize it. */
  resultPreview: 1000,
  /** An agent's error message (`error` report, a CLI's error line): cut beyond it, marked so. */
  errorMessage: 10_000,
  /** A session id an agent reports: a longer one is no session id and is not kept. */
  sessionId: 200,
  /**
   * A failed agent's `error.lastLines`: its last 10 output lines, each cut to 500 characters
   * (runtimes/agent-run.ts keeps the last 20 in memory).
   */
  lastLine: 500,
  lastLines: 10,
} as const;
