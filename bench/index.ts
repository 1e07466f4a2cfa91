/** `bun run bench`: every benchmark in turn. Figures only; nothing here asserts a time. */
import { benchAgents } from "./agents.ts";
import { benchDashboardRender } from "./dashboard-render.tsx";
import { benchEvents } from "./events.ts";
import { benchHttp } from "./http.ts";
import { benchWritePath } from "./write-path.ts";

console.log(
  `dash benchmarks — bun ${Bun.version}, ${process.platform}-${process.arch}, ${navigator.hardwareConcurrency} cores`,
);
await benchWritePath();
await benchHttp();
await benchEvents();
await benchAgents();
await benchDashboardRender();
