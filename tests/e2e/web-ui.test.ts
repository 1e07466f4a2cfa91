import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "puppeteer-core";
import { CONTENT_SECURITY_POLICY, loadBundle, webUiRoutes } from "../../src/api/web-ui.ts";
import { testServer } from "../api-helpers.ts";
import { chromiumMissing, launchBrowser } from "../browser.ts";
import { tempHome } from "../helpers.ts";
import { compiledDash, type Served, startServe } from "./compiled.ts";

/** Generous: CI runs this on 2 busy cores; a pass takes milliseconds. */
const WAIT = 10_000;

describe("web UI routes (in process)", () => {
  let h: Awaited<ReturnType<typeof testServer>>;
  beforeAll(async () => {
    h = await testServer({ ui: true });
  });
  afterAll(() => h.close());

  test("/ is the page with the security headers; its assets are under /ui/", async () => {
    const res = await h.call("GET", "/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    // No inline script: every script is a file of this origin.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const assets = [...html.matchAll(/(?:src|href)="(\/ui\/[^"]+)"/g)].map((m) => m[1] as string);
    expect(assets.some((a) => a.endsWith(".js"))).toBe(true);
    expect(assets.some((a) => a.endsWith(".css"))).toBe(true);
    for (const asset of assets) {
      const got = await h.call("GET", asset);
      expect(got.status).toBe(200);
      expect(got.headers.get("x-content-type-options")).toBe("nosniff");
      expect(got.headers.get("cache-control")).toContain("immutable");
    }
    const missing = await h.call("GET", "/ui/nothing.js");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-security-policy")).toBe(CONTENT_SECURITY_POLICY);
  });

  test("the API, /health and the CORS rules are unchanged beside it", async () => {
    expect((await h.call("GET", "/health")).status).toBe(200);
    expect((await h.call("GET", "/api/swarm", h.keys.read)).status).toBe(200);
    expect((await h.call("GET", "/api/swarm")).status).toBe(401);
    const page = await h.call("GET", "/", undefined, undefined, {
      headers: { origin: "https://evil.example" },
    });
    expect(page.headers.get("access-control-allow-origin")).toBeNull();
    expect((await h.call("POST", "/")).status).toBe(404);
  });

  test("off unless asked: a server without ui answers 404 at /", async () => {
    const off = await testServer();
    try {
      expect((await off.call("GET", "/")).status).toBe(404);
      expect((await off.call("GET", "/ui/x.js")).status).toBe(404);
    } finally {
      await off.close();
    }
  });

  test("a bundle that fails to load is a 500 and is tried again on the next request", async () => {
    let calls = 0;
    const routes = webUiRoutes(async () => {
      calls++;
      if (calls === 1) throw new Error("no bundle");
      return loadBundle();
    });
    const handler = routes["/"]?.GET;
    if (!handler) throw new Error("no / route");
    await expect(handler(new Request("http://x/"))).rejects.toThrow("no bundle");
    expect((await handler(new Request("http://x/"))).status).toBe(200);
    expect(calls).toBe(2);
  });
});

/** `<bin> serve --port 0 …extra` in its own DASH_HOME; resolves with its origin once it serves. */
async function serveWith(
  bin: string,
  home: string,
  extra: string[],
): Promise<{ url: string; stop: () => Promise<void> }> {
  const proc = Bun.spawn([bin, "serve", "--port", "0", ...extra], {
    env: { PATH: process.env.PATH ?? "", DASH_HOME: home },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  let log = "";
  const decoder = new TextDecoder();
  for await (const chunk of proc.stderr) {
    log += decoder.decode(chunk);
    const line = log.split("\n").find((l) => l.includes('"dash serving"'));
    if (line) {
      return {
        url: JSON.parse(line).url as string,
        stop: async () => {
          proc.kill("SIGTERM");
          await proc.exited;
        },
      };
    }
  }
  throw new Error(`dash serve exited before serving: ${log}`);
}

const missing = chromiumMissing();
if (missing) console.log(`skipping the web dashboard's browser tests: ${missing}`);

(missing ? describe.skip : describe)("web dashboard in Chromium, against the compiled binary", () => {
  const home = tempHome("dash-web-ui-");
  // Kept after the run (its path is printed) so a person can look at the pages.
  const shots = tempHome("dash-web-ui-screenshots-").dir;
  let bin = "";
  let served: Served | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let key = "";
  let swarmId = "";
  const errors: string[] = [];

  async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const res = await fetch(new URL(path, served?.url), { method, headers, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }
  type AgentList = { agents: { id: string; name: string; status: string }[] };

  beforeAll(async () => {
    bin = await compiledDash();
    served = await startServe(bin, home.dir);
    key = (JSON.parse(readFileSync(join(home.dir, "credentials"), "utf8")) as { key: string }).key;
    // Each agent reports 2/5 done, then stays RUNNING for the whole file.
    const report = `echo '{"dash":"progress","current":2,"total":5}'; exec sleep 30`;
    const config = { command: ["sh", "-c", report], maxRetries: 0 };
    const swarm = await api<{ id: string }>("POST", "/api/swarm", {
      name: "web",
      task: "sleep",
      initialAgents: 3,
      config,
    });
    swarmId = swarm.id;
    for (let i = 0; i < 400; i++) {
      const list = await api<AgentList>("GET", `/api/agents?swarmId=${swarmId}`);
      if (list.agents.length === 3 && list.agents.every((a) => a.status === "running")) break;
      await Bun.sleep(50);
    }
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(String(error)));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    // Agents' shims outlive the server by design: destroy the swarm before stopping it.
    if (swarmId) await api("DELETE", `/api/swarm/${swarmId}`).catch(() => {});
    for (let i = 0; i < 200 && swarmId; i++) {
      const list = await api<AgentList>("GET", `/api/agents?swarmId=${swarmId}`).catch(() => ({
        agents: [],
      }));
      if (list.agents.every((a) => a.status !== "running" && a.status !== "paused")) break;
      await Bun.sleep(50);
    }
    served?.proc.kill("SIGTERM");
    await served?.proc.exited;
    home.cleanup();
    console.log(`web dashboard screenshots kept in ${shots}`);
  }, 30_000);

  test("the page is served with a strict CSP, and logs in with the admin key from a form", async () => {
    const response = await page.goto(served?.url ?? "", { waitUntil: "networkidle0" });
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY);
    await page.setViewport({ width: 1280, height: 800 });
    await page.screenshot({ path: join(shots, "login-1280x800.png") });
    await page.type("#api-key", key);
    await page.click("button[type=submit]");
    await page.waitForFunction(`document.querySelectorAll("tr[data-agent-id]").length === 3`, {
      timeout: WAIT,
    });
    await page.waitForSelector('[data-state="live"]', { timeout: WAIT });
    // The key is kept in this tab only, and never put in the address.
    expect(page.url()).not.toContain(key);
    expect(await page.evaluate('sessionStorage.getItem("dash.apiKey")')).toBe(key);
    const rows = await page.$$eval("tr[data-agent-id]", (trs) =>
      trs.map((tr) => [tr.querySelector(".name")?.textContent, tr.getAttribute("data-status")]),
    );
    expect(rows.map(([name]) => name).sort()).toEqual(["web-1", "web-2", "web-3"]);
    expect(rows.every(([, status]) => status === "running")).toBe(true);
    await page.waitForFunction("document.querySelectorAll('progress[value=\"40\"]').length === 3", {
      timeout: WAIT,
    });
    expect(errors.filter((e) => /Content Security Policy|Refused to/.test(e))).toEqual([]);
    await page.screenshot({ path: join(shots, "grid-1280x800.png") });
  }, 60_000);

  test("a pause made through the API shows in the page, live", async () => {
    const list = await api<AgentList>("GET", `/api/agents?swarmId=${swarmId}`);
    const target = list.agents.find((a) => a.name === "web-2");
    if (!target) throw new Error("no web-2");
    const started = performance.now();
    await api("POST", `/api/agents/${target.id}/pause`);
    await page.waitForSelector(`tr[data-agent-id="${target.id}"][data-status="paused"]`, { timeout: WAIT });
    console.log(`pause → page: ${Math.round(performance.now() - started)} ms (API answer included)`);
    await page.setViewport({ width: 390, height: 844 });
    await page.screenshot({ path: join(shots, "grid-390x844.png") });
    // A reload keeps the session: the key is still in sessionStorage, no login again.
    await page.reload({ waitUntil: "networkidle0" });
    await page.waitForSelector(`tr[data-agent-id="${target.id}"][data-status="paused"]`, { timeout: WAIT });
    await api("POST", `/api/agents/${target.id}/resume`);
  }, 60_000);

  test("a wrong key is refused with a message, and is not kept", async () => {
    const other = await browser?.createBrowserContext();
    if (!other) throw new Error("no browser");
    try {
      const fresh = await other.newPage();
      await fresh.goto(served?.url ?? "", { waitUntil: "networkidle0" });
      await fresh.type("#api-key", "dash_api_key_wrongwrongwrongwrongwrongwrongwr");
      await fresh.click("button[type=submit]");
      await fresh.waitForSelector(".login [role=alert]", { timeout: WAIT });
      expect(await fresh.evaluate('sessionStorage.getItem("dash.apiKey")')).toBeNull();
    } finally {
      await other.close();
    }
  }, 60_000);

  test("--no-ui and ui.enabled: false answer 404 at / while the API stays", async () => {
    const flagHome = tempHome("dash-web-off-");
    const configHome = tempHome("dash-web-off-");
    writeFileSync(join(configHome.dir, "config.yaml"), "ui:\n  enabled: false\n");
    try {
      for (const [dir, extra] of [
        [flagHome.dir, ["--no-ui"]],
        [configHome.dir, []],
      ] as const) {
        const off = await serveWith(bin, dir, [...extra]);
        try {
          expect((await fetch(new URL("/", off.url))).status).toBe(404);
          expect((await fetch(new URL("/health", off.url))).status).toBe(200);
        } finally {
          await off.stop();
        }
      }
    } finally {
      flagHome.cleanup();
      configHome.cleanup();
    }
  }, 60_000);
});
