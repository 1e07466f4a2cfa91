/**
 * Reads a `.cpuprofile` (what `bun --cpu-prof` writes) and says where the time went, by concern:
 * each sample is charged to the innermost frame of its stack that belongs to a concern (so the
 * native `run` under bun:sqlite is SQLite, a CryptoHasher under api-keys.ts is authentication).
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

type Frame = ProfileNode["callFrame"];
/** First match wins, tried on each frame from the leaf up. */
const CONCERNS: [string, (f: Frame, leaf: boolean, caller: Frame | undefined) => boolean][] = [
  ["idle", (f) => f.functionName === "(idle)" || f.functionName === "(program)"],
  ["garbage collection", (f) => f.functionName === "(garbage collector)"],
  [
    "SQLite (statements, BEGIN/COMMIT, WAL)",
    // A statement's native all/get/run/values, called straight from src/storage, has no URL
    // (Headers' get has the same name: its caller tells them apart).
    (f, leaf, caller) =>
      f.url.startsWith("bun:sqlite") ||
      (leaf &&
        f.url === "" &&
        /^(all|get|run|values)$/.test(f.functionName) &&
        /src\/storage\/|bun:sqlite/.test(caller?.url ?? "")),
  ],
  ["zod (request validation)", (f) => f.url.includes("node_modules/zod")],
  ["API-key auth (hash, lookup)", (f) => /src\/(safety\/api-keys|domain\/api-key)\.ts/.test(f.url)],
  ["rate limiting", (f) => f.url.includes("src/api/rate-limit.ts")],
  ["logging", (f) => f.url.includes("src/log.ts")],
  ["metrics", (f) => f.url.includes("src/api/metrics.ts")],
  [
    "event publishing (bus, WebSocket, notifier)",
    (f) => /src\/(bus\/|api\/websocket|core\/event-feed|notify\/)/.test(f.url),
  ],
  [
    "background jobs on the event loop (scheduler, conductor, forecaster, …)",
    (f) =>
      /src\/core\/(scheduler|conductor|forecaster|run-keeper|node-watch|approval-timer|retention)\.ts/.test(
        f.url,
      ),
  ],
  [
    "JSON serialisation (Response.json, stringify)",
    (f, leaf) => leaf && /^(json|stringify)$/.test(f.functionName),
  ],
  ["JSON parsing", (f, leaf) => leaf && f.functionName === "parse" && f.url === ""],
  ["ids (ulid)", (f) => f.url.includes("node_modules/ulid")],
  ["storage: rows ↔ records, SQL", (f) => f.url.includes("src/storage/")],
  ["response mapping (records → API shape)", (f) => f.url.includes("src/domain/")],
  ["write path (core)", (f) => f.url.includes("src/core/")],
  ["routing, handlers, headers (src/api)", (f) => f.url.includes("src/api/")],
];

export interface ProfileSummary {
  /** Sampled time that was not idle, ms. */
  busyMs: number;
  /** Concern → share of the busy time (0…1), largest first. */
  shares: [string, number][];
  /** The heaviest functions by self time (share of busy time). */
  top: [string, number][];
}

export function summarizeProfile(profile: CpuProfile, topN = 8): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfTime = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const concerns = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, us] of selfTime) {
    let concern = "HTTP server, runtime, other";
    for (let at: number | undefined = id, leaf = true; at !== undefined; at = parent.get(at), leaf = false) {
      const frame = (byId.get(at) as ProfileNode).callFrame;
      const up = parent.get(at);
      const caller = up === undefined ? undefined : byId.get(up)?.callFrame;
      const match = CONCERNS.find(([, test]) => test(frame, leaf, caller));
      if (match) {
        concern = match[0];
        break;
      }
    }
    concerns.set(concern, (concerns.get(concern) ?? 0) + us);
    const f = (byId.get(id) as ProfileNode).callFrame;
    const name =
      `${f.functionName || "(anonymous)"} ${f.url.replace(/^.*?\/(src|node_modules)\//, "$1/")}`.trim();
    if (concern !== "idle") functions.set(name, (functions.get(name) ?? 0) + us);
  }
  concerns.delete("idle");
  const busy = [...concerns.values()].reduce((a, b) => a + b, 0);
  const sorted = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / busy] as [string, number]);
  return { busyMs: busy / 1000, shares: sorted(concerns), top: sorted(functions).slice(0, topN) };
}
