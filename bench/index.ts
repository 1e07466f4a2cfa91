/**
 * `bun run bench`: every benchmark in turn, printed, and written to the bench section of
 * bench/RESULTS.md with the PRD targets next to the figures. Nothing here asserts a time.
 * `--no-write` prints only (a run on a busy or odd machine should not replace the published one).
 */

import { postgresMissing, startPostgres } from "../tests/pg-server.ts";
import { benchAgents } from "./agents.ts";
import { benchDashboard } from "./dashboard.ts";
import { benchDashboardRender } from "./dashboard-render.tsx";
import { benchEvents } from "./events.ts";
import { benchGateway } from "./gateway.ts";
import { benchHttp } from "./http.ts";
import { benchMerge } from "./merge.ts";
import { benchNotifySlowReceiver } from "./notify-slow-receiver.ts";
import { recordConsole } from "./record.ts";
import { machineLine, writeSection } from "./results.ts";
import { benchServerRss } from "./server-rss.ts";
import { targetsTable } from "./targets.ts";
import { benchWebDashboard } from "./web-dashboard.ts";
import { benchWritePath } from "./write-path.ts";
import { benchWritePathPostgres } from "./write-path-postgres.ts";

const recording = recordConsole();
console.log(
  `dash benchmarks — bun ${Bun.version}, ${process.platform}-${process.arch}, ${navigator.hardwareConcurrency} cores`,
);
await benchWritePath();
await benchWritePathPostgres();
await benchHttp();
await benchHttp({ postgres: true });
await benchServerRss();
await benchNotifySlowReceiver();
await benchGateway();
await benchEvents();
await benchAgents();
await benchMerge();
await benchDashboardRender();
await benchDashboard();
await benchWebDashboard();
recording.stop();

const targets = targetsTable();
console.log(`\nPRD targets\n${targets}`);
if (!process.argv.includes("--no-write")) {
  const output = recording.blocks.slice(1).join("\n\n");
  writeSection("bench", `${machineLine()}\n\n### PRD targets\n\n${targets}\n\n### All figures\n\n${output}`);
}
// The PostgreSQL benches share one server (tests/pg-server.ts); stopped, it lets this process end.
if (!postgresMissing()) await (await startPostgres()).stop();
