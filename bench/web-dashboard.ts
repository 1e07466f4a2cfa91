/**
 * The web dashboard in headless Chromium against the compiled `dash serve` holding 1,000 agents:
 * first paint and time to interactive (grid drawn, stream live), a state change made through the
 * API until the page shows it, and the page's memory under 50 events/s for DASH_BENCH_WEB_MINUTES
 * (10), sampled each minute after a garbage collection. Then the binary's size with and without
 * the UI. Figures only: nothing here asserts a time.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "puppeteer-core";
import { launchBrowser } from "../tests/browser.ts";
import { apiCaller, compiledDash, removeCompiled, startServe } from "../tests/e2e/compiled.ts";
import { VALUES } from "./record.ts";
import { printSummaries, summarize } from "./stats.ts";
import { binarySizes } from "./web-size.ts";

const RUNS = 5;
const CHANGES = 40;
const EVENTS_PER_SECOND = 50;
const EMITTERS = 5;
const TOTAL = 1000 + EMITTERS;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

type Api = ReturnType<typeof apiCaller>;

/** 5 running `sleep` agents (they take the progress reports), then 10 × 100 that wait their turn. */
async function seed(api: Api): Promise<string[]> {
  const emit = await api<{ id: string }>("POST", "/api/swarm", {
    name: "emit",
    task: "take progress reports",
    initialAgents: EMITTERS,
    config: { command: ["sleep", "3600"], maxRetries: 0, timeout: 3_600_000 },
  });
  let ids: string[] = [];
  for (let i = 0; i < 200 && ids.length < EMITTERS; i++) {
    const list = await api<{ agents: { id: string; status: string }[] }>(
      "GET",
      `/api/agents?swarmId=${emit.id}`,
    );
    ids = list.agents.filter((a) => a.status === "running").map((a) => a.id);
    await Bun.sleep(100);
  }
  if (ids.length < EMITTERS) throw new Error("the emitting agents did not start");
  for (let i = 0; i < 10; i++) {
    await api("POST", "/api/swarm", {
      name: `seed-${i}`,
      task: "wait",
      initialAgents: 100,
      config: { runtime: "demo" },
    });
  }
  return ids;
}

/** A fresh tab (no cache, the key already in sessionStorage) until the grid shows every agent, live. */
async function openPage(
  browser: Browser,
  url: string,
  key: string,
): Promise<{ page: Page; fcp: number; tti: number }> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  await page.evaluateOnNewDocument(`sessionStorage.setItem("dash.apiKey", ${JSON.stringify(key)})`);
  await page.goto(url);
  const ready = `(() => {
    const ok = document.querySelector('[data-state="live"]') && document.querySelector(".grid-scroll")?.dataset.rows === "${TOTAL}";
    if (ok) window.__tti ??= performance.now();
    return !!ok;
  })()`;
  await page.waitForFunction(ready, { timeout: 60_000, polling: "raf" });
  const tti = (await page.evaluate("window.__tti")) as number;
  const fcp = (await page.evaluate(
    `performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN`,
  )) as number;
  return { page, fcp, tti };
}

/** Pause, then resume, an emitter through the API; the page's MutationObserver notes when its row changed. */
async function changeLatency(page: Page, api: Api, id: string): Promise<number[]> {
  await page.evaluate(`
    window.__seen = [];
    new MutationObserver((list) => { for (const m of list) window.__seen.push({ status: m.target.getAttribute("data-status"), at: Date.now() }); })
      .observe(document.querySelector('tr[data-agent-id="${id}"]'), { attributes: true, attributeFilter: ["data-status"] });
  `);
  const latencies: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const to = i % 2 === 0 ? "paused" : "running";
    const sent = Date.now();
    await api("POST", `/api/agents/${id}/${to === "paused" ? "pause" : "resume"}`);
    await page.waitForFunction(`window.__seen.some((s) => s.status === "${to}" && s.at >= ${sent})`, {
      timeout: 10_000,
    });
    const seen = (await page.evaluate(
      `window.__seen.find((s) => s.status === "${to}" && s.at >= ${sent}).at`,
    )) as number;
    latencies.push(seen - sent);
    await page.evaluate("window.__seen = []");
  }
  return latencies;
}

interface Sample {
  minute: number;
  heap: number;
  nodes: number;
  listeners: number;
}

/** 50 progress reports a second over the emitters, the page on the agent grid, sampled each minute. */
async function soak(page: Page, api: Api, emitters: string[], minutes: number): Promise<Sample[]> {
  const cdp = await page.createCDPSession();
  const sample = async (minute: number): Promise<Sample> => {
    await cdp.send("HeapProfiler.collectGarbage");
    const metrics = await page.metrics();
    return {
      minute,
      heap: metrics.JSHeapUsedSize ?? Number.NaN,
      nodes: metrics.Nodes ?? Number.NaN,
      listeners: metrics.JSEventListeners ?? Number.NaN,
    };
  };
  const samples = [await sample(0)];
  let sent = 0;
  const timer = setInterval(() => {
    const id = emitters[sent % emitters.length];
    sent++;
    void api("POST", `/api/agents/${id}/progress`, { current: sent % 1000, total: 1000 }).catch(() => {});
  }, 1000 / EVENTS_PER_SECOND);
  try {
    for (let minute = 1; minute <= minutes; minute++) {
      await Bun.sleep(60_000);
      samples.push(await sample(minute));
    }
  } finally {
    clearInterval(timer);
  }
  console.log(`  ${sent} progress reports sent in ${minutes} min (${(sent / (minutes * 60)).toFixed(1)}/s)`);
  return samples;
}

export async function benchWebDashboard(): Promise<void> {
  const minutes = Number(process.env.DASH_BENCH_WEB_MINUTES ?? 10);
  console.log(`\nWeb dashboard (Chromium, compiled binary, ${TOTAL} agents; memory over ${minutes} min)`);
  const home = mkdtempSync(join(tmpdir(), "dash-bench-web-"));
  // The seeding makes 11 swarms in a second; the page itself stays well under the default limits.
  writeFileSync(
    join(home, "config.yaml"),
    "limits: { rateLimitPerMinute: 100000000, swarmCreatesPerMinute: 100000000 }\n",
  );
  const served = await startServe(await compiledDash(), home, { DASH_MAX_CONCURRENCY: String(EMITTERS) });
  const key = (JSON.parse(readFileSync(join(home, "credentials"), "utf8")) as { key: string }).key;
  const api = apiCaller(
    () => served.url,
    () => key,
  );
  let browser: Browser | undefined;
  try {
    const emitters = await seed(api);
    browser = await launchBrowser();
    const runs: { fcp: number; tti: number }[] = [];
    let page: Page | undefined;
    for (let i = 0; i < RUNS; i++) {
      const opened = await openPage(browser, served.url, key);
      runs.push(opened);
      if (i < RUNS - 1) await opened.page.browserContext().close();
      else page = opened.page;
    }
    if (!page) throw new Error("no page");
    const rows = (await page.evaluate(`document.querySelectorAll("tr[data-agent-id]").length`)) as number;
    const span = runs.reduce((sum, r) => sum + r.tti, 0);
    printSummaries(`Page load, ${TOTAL} agents (${rows} rows in the page: virtualised)`, [
      summarize(
        "web first paint",
        runs.map((r) => r.fcp),
        span,
      ),
      summarize(
        `web time to interactive, ${TOTAL} agents`,
        runs.map((r) => r.tti),
        span,
      ),
    ]);
    const started = performance.now();
    const latencies = await changeLatency(page, api, emitters[0] as string);
    printSummaries("State change through the API → on the page", [
      summarize("web state change → page", latencies, performance.now() - started),
    ]);
    const samples = await soak(page, api, emitters, minutes);
    console.log(`\nPage memory at ${EVENTS_PER_SECOND} events/s (after a GC each minute)`);
    console.table(
      samples.map((s) => ({
        minute: s.minute,
        "JS heap": mib(s.heap),
        "DOM nodes": s.nodes,
        listeners: s.listeners,
      })),
    );
    const first = samples[1] ?? samples[0];
    const last = samples.at(-1);
    if (first && last) {
      console.log(
        `web page heap after ${minutes} min: ${mib(last.heap)} (${mib(first.heap)} after the first minute)`,
      );
      VALUES.set("web page heap growth", (last.heap - first.heap) / 1024 / 1024);
    }
  } finally {
    await browser?.close();
    const swarms = await api<{ swarms: { id: string }[] }>("GET", "/api/swarm").catch(() => ({ swarms: [] }));
    for (const swarm of swarms.swarms) await api("DELETE", `/api/swarm/${swarm.id}`).catch(() => {});
    served.proc.kill("SIGTERM");
    await served.proc.exited;
    rmSync(home, { recursive: true, force: true });
    await removeCompiled();
  }
  const sizes = await binarySizes();
  console.log(
    `\nBinary size (${process.platform}-${process.arch}): ${mib(sizes.withUi)} with the web dashboard, ${mib(sizes.withoutUi)} without (+${((sizes.withUi - sizes.withoutUi) / 1024).toFixed(0)} KiB)`,
  );
}

if (import.meta.main) await benchWebDashboard();
