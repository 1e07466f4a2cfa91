/**
 * Where the HTTP API's time goes: `dash serve` under `bun --cpu-prof`, one fresh server per route
 * (seeded with the same 1,000 agents as bench/http.ts, then 50 connections for a few seconds), and
 * each profile summarised by concern (cpu-profile.ts). Written to the profile section of
 * bench/RESULTS.md unless `--no-write`. The seeding requests are in each profile too (10 of them).
 * `--before <dir>`: also profile the server of another checkout (e.g. `git archive` of an older
 * commit, with node_modules linked), printed first, so the section shows what changed;
 * `--before-label <text>` names it.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { summarizeProfile } from "./cpu-profile.ts";
import { ROUTES, seed } from "./http.ts";
import { machineLine, table, writeSection } from "./results.ts";
import { withBenchServer } from "./serve.ts";
import { runHttpLoad } from "./wrk.ts";

const CONFIG = `limits: { rateLimitPerMinute: 100000000, swarmCreatesPerMinute: 100000000 }
log: { level: warn }
agents: { maxConcurrency: 0 }
`;
const DURATION_MS = 5_000;
const pct = (share: number) => `${(share * 100).toFixed(1)} %`;

async function profileRoute(route: (typeof ROUTES)[number], dir: string, main?: string): Promise<string> {
  const file = `${route.path.replace(/\W+/g, "_")}.cpuprofile`;
  const flags = ["--cpu-prof", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${file}`];
  let figures = "";
  await withBenchServer(
    CONFIG,
    async (server) => {
      await seed(server.url, server.key);
      const headers: Record<string, string> =
        route.path === "/health" ? {} : { Authorization: `Bearer ${server.key}` };
      const result = await runHttpLoad({
        name: route.name,
        url: `${server.url}${route.path}`,
        connections: 50,
        durationMs: DURATION_MS,
        warmupMs: 1_000,
        ...(route.post
          ? {
              method: "POST",
              body: JSON.stringify(route.post),
              headers: { ...headers, "Content-Type": "application/json" },
            }
          : { headers }),
      });
      figures = `${Math.round(result.perSecond)} req/s, p99 ${result.p99.toFixed(1)} ms (${result.generator}, profiler on)`;
    },
    flags,
    main,
  );
  const summary = summarizeProfile(JSON.parse(readFileSync(join(dir, file), "utf8")));
  const concerns = table(
    ["concern", "share of busy CPU"],
    summary.shares.filter(([, share]) => share >= 0.005).map(([name, share]) => [name, pct(share)]),
  );
  const top = table(
    ["heaviest functions (self time)", "share"],
    summary.top.map(([name, share]) => [name, pct(share)]),
  );
  return `### ${route.name}\n\n${figures}; ${summary.busyMs.toFixed(0)} ms of busy CPU sampled on the main thread.\n\n${concerns}\n\n${top}`;
}

export async function benchProfile(main?: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "dash-profile-"));
  try {
    const parts: string[] = [];
    for (const route of ROUTES) parts.push(await profileRoute(route, dir, main));
    return parts.join("\n\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const at = process.argv.indexOf("--before");
  const before = at > 0 ? process.argv[at + 1] : undefined;
  let body = await benchProfile();
  if (before) {
    const then = await benchProfile(join(before, "src", "main.ts"));
    const shift = (text: string) => text.replaceAll("\n### ", "\n#### ").replace(/^### /, "#### ");
    const labelAt = process.argv.indexOf("--before-label");
    const label = labelAt > 0 ? process.argv[labelAt + 1] : before;
    body = `### Before: ${label}\n\n${shift(then)}\n\n### Now\n\n${shift(body)}`;
  }
  console.log(body);
  if (!process.argv.includes("--no-write")) writeSection("profile", `${machineLine()}\n\n${body}`);
  process.exit(0);
}
