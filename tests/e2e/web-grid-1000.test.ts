/**
 * The web dashboard's grid with 1,000 agents, in Chromium against the compiled binary: every agent
 * is counted, only the rows in view are in the page (virtualised), G reaches the last one, and the
 * filter and a header sort work over all of them, not only the rows drawn.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "puppeteer-core";
import { chromiumMissing, launchBrowser } from "../browser.ts";
import { tempHome } from "../helpers.ts";
import { apiCaller, compiledDash, type Served, startServe } from "./compiled.ts";

const WAIT = 15_000;
const missing = chromiumMissing();

(missing ? describe.skip : describe)("the web grid with 1,000 agents", () => {
  const home = tempHome("dash-web-1000-");
  let served: Served | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let key = "";
  const api = apiCaller(
    () => served?.url,
    () => key,
  );
  const count = (selector: string) =>
    page.evaluate(`document.querySelectorAll(${JSON.stringify(selector)}).length`) as Promise<number>;
  const rowsAttr = () =>
    page.evaluate(`document.querySelector(".grid-scroll")?.dataset.rows ?? null`) as Promise<string | null>;

  beforeAll(async () => {
    // Agents are not started (maxConcurrency 0): 1,000 rows that stay as they are.
    writeFileSync(
      join(home.dir, "config.yaml"),
      "agents: { maxConcurrency: 0 }\nlimits: { rateLimitPerMinute: 100000, swarmCreatesPerMinute: 100000 }\n",
    );
    served = await startServe(await compiledDash(), home.dir);
    key = (JSON.parse(readFileSync(join(home.dir, "credentials"), "utf8")) as { key: string }).key;
    for (let i = 0; i < 10; i++) {
      await api("POST", "/api/swarm", {
        name: `s${i}`,
        task: "wait",
        initialAgents: 100,
        config: { runtime: "demo" },
      });
    }
    browser = await launchBrowser();
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    await page.goto(served.url, { waitUntil: "networkidle0" });
    await page.type("#api-key", key);
    await page.click("button[type=submit]");
    await page.waitForSelector('[data-state="live"]', { timeout: WAIT });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    served?.proc.kill("SIGTERM");
    await served?.proc.exited;
    home.cleanup();
  }, 30_000);

  test("all 1,000 are counted; a few dozen rows are in the page; G reaches the last one", async () => {
    await page.waitForFunction(`document.querySelector(".grid-scroll")?.dataset.rows === "1000"`, {
      timeout: WAIT,
    });
    expect(await page.evaluate(`document.querySelector(".toolbar .count").textContent`)).toBe("1000 agents");
    const drawn = await count("tr[data-agent-id]");
    expect(drawn).toBeGreaterThan(10);
    expect(drawn).toBeLessThan(100);
    // The spacers keep the scroll height of all 1,000 rows.
    const height = (await page.evaluate(`document.querySelector(".grid-scroll").scrollHeight`)) as number;
    expect(height).toBeGreaterThan(1000 * 32);
    await page.click("th.col-name button");
    await page.keyboard.press("G");
    await page.waitForFunction(
      `document.querySelector('tr[aria-selected="true"] .name')?.textContent === "s9-99"`,
      {
        timeout: WAIT,
      },
    );
    expect(await count("tr[data-agent-id]")).toBeLessThan(100);
    await page.keyboard.press("g");
    await page.waitForFunction(
      `document.querySelector('tr[aria-selected="true"] .name')?.textContent === "s0-1"`,
      {
        timeout: WAIT,
      },
    );
  }, 60_000);

  test("the filter and the swarm choice narrow all 1,000, not only the rows drawn", async () => {
    await page.type("#agent-filter", "s7-");
    await page.waitForFunction(`document.querySelector(".grid-scroll")?.dataset.rows === "100"`, {
      timeout: WAIT,
    });
    expect(await page.evaluate(`document.querySelector(".toolbar .count").textContent`)).toBe(
      "100 of 1000 agents",
    );
    await page.click("#agent-filter", { count: 3 });
    await page.keyboard.press("Backspace");
    await page.waitForFunction(`document.querySelector(".grid-scroll")?.dataset.rows === "1000"`, {
      timeout: WAIT,
    });
    await page.keyboard.press("Escape");
    await page.keyboard.press("]");
    expect(await rowsAttr()).toBe("100");
    await page.keyboard.press("[");
    expect(await rowsAttr()).toBe("1000");
    // Nothing matching, then everything again: the grid still scrolls to what is selected.
    await page.type("#agent-filter", "nothing-like-this");
    await page.waitForSelector(".grid-scroll .empty", { timeout: WAIT });
    await page.click("#agent-filter", { count: 3 });
    await page.keyboard.press("Backspace");
    await page.keyboard.press("Escape");
    await page.keyboard.press("G");
    await page.waitForFunction(
      `document.querySelector('tr[aria-selected="true"] .name')?.textContent === "s9-99"`,
      {
        timeout: WAIT,
      },
    );
  }, 60_000);
});
