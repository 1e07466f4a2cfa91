/**
 * The web dashboard in a real browser (Debian's Chromium over the DevTools protocol) against the
 * compiled `dash serve` with real agents. The page is opened through a TCP proxy the test can cut,
 * so a lost connection is a real one while the server goes on writing events.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "puppeteer-core";
import { CONTENT_SECURITY_POLICY } from "../../src/api/web-ui.ts";
import { git } from "../../src/core/worktrees.ts";
import type { MergeOutcome } from "../../src/domain/merge.ts";
import { chromiumMissing, launchBrowser } from "../browser.ts";
import { tempRepo } from "../git-helpers.ts";
import { tempHome, until } from "../helpers.ts";
import { type CuttableProxy, cuttableProxy } from "../tcp-proxy.ts";
import { apiCaller, compiledDash, type Served, startServe } from "./compiled.ts";

/** Generous: CI runs this on 2 busy cores; a pass takes milliseconds. */
const WAIT = 10_000;
type Agent = { id: string; name: string; status: string };
type AgentList = { agents: Agent[] };
type EventPage = { events: { id: string; type: string }[] };

const missing = chromiumMissing();
if (missing) console.log(`skipping the web dashboard's browser tests: ${missing}`);

(missing ? describe.skip : describe)("web dashboard in Chromium, against the compiled binary", () => {
  const home = tempHome("dash-web-dashboard-");
  // Kept after the run (its path is printed) so a person can look at the pages.
  const shots = tempHome("dash-web-ui-screenshots-").dir;
  const { repo } = tempRepo({ "shared.txt": "original\n" });
  let served: Served | undefined;
  let proxy: CuttableProxy;
  let browser: Browser | undefined;
  let page: Page;
  let key = "";
  let readKey = "";
  const swarmIds: string[] = [];
  const agents = new Map<string, Agent>();
  const errors: string[] = [];
  const api = apiCaller(
    () => served?.url,
    () => key,
  );
  const byName = (name: string) => {
    const agent = agents.get(name);
    if (!agent) throw new Error(`no agent ${name}`);
    return agent;
  };
  const row = (name: string, status?: string) =>
    `tr[data-agent-id="${byName(name).id}"]${status ? `[data-status="${status}"]` : ""}`;
  /** The text (or an attribute) of the first element a selector finds in `on`, or null. */
  const textOf = (selector: string, on: Page = page) =>
    on.evaluate(`document.querySelector(${JSON.stringify(selector)})?.textContent ?? null`) as Promise<
      string | null
    >;
  const attrOf = (selector: string, name: string) =>
    page.evaluate(
      `document.querySelector(${JSON.stringify(selector)})?.getAttribute(${JSON.stringify(name)}) ?? null`,
    ) as Promise<string | null>;
  /** Controls a screen reader could not name: no text, no aria-label, no <label>. */
  const unlabelled = () =>
    page.evaluate(`[...document.querySelectorAll("button, input, select, [role=tab]")]
      .filter((e) => !e.closest("dialog:not([open])") && !(e.textContent ?? "").trim()
        && !e.getAttribute("aria-label") && !(e.labels && e.labels.length))
      .map((e) => e.outerHTML.slice(0, 80))`) as Promise<string[]>;
  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`) });
  const press = (key: string) => page.keyboard.press(key as Parameters<Page["keyboard"]["press"]>[0]);

  async function login(target: Page, withKey: string): Promise<void> {
    await target.goto(proxy.url, { waitUntil: "networkidle0" });
    await target.type("#api-key", withKey);
    await target.click("button[type=submit]");
    await target.waitForSelector('[data-state="live"]', { timeout: WAIT });
  }

  beforeAll(async () => {
    served = await startServe(await compiledDash(), home.dir);
    key = (JSON.parse(readFileSync(join(home.dir, "credentials"), "utf8")) as { key: string }).key;
    readKey = (await api<{ key: string }>("POST", "/api/keys", { name: "viewer", permissions: ["read"] }))
      .key;
    proxy = await cuttableProxy(served.url);
    // Each agent reports 2/5 done and a cent of spend, says hello, then stays RUNNING.
    const script = [
      `echo '{"dash":"progress","current":2,"total":5}'`,
      `echo '{"dash":"usage","model":"m","promptTokens":120,"completionTokens":30,"costUsd":0.02}'`,
      `echo "hello from $DASH_AGENT_ID"`,
      "exec sleep 300",
    ].join("; ");
    const swarm = await api<{ id: string }>("POST", "/api/swarm", {
      name: "web",
      task: "sleep a while",
      initialAgents: 3,
      config: { command: ["sh", "-c", script], maxRetries: 0 },
      budget: { amount: 1 },
    });
    swarmIds.push(swarm.id);
    await until(async () => {
      const list = await api<AgentList>("GET", `/api/agents?swarmId=${swarm.id}`);
      for (const agent of list.agents) agents.set(agent.name, agent);
      return list.agents.length === 3 && list.agents.every((a) => a.status === "running");
    }, 40_000);
    browser = await launchBrowser();
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(String(error)));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    proxy?.stop();
    // Agents' shims outlive the server by design: destroy the swarms before stopping it.
    for (const id of swarmIds) await api("DELETE", `/api/swarm/${id}`).catch(() => {});
    await until(async () => {
      const list = await api<AgentList>("GET", "/api/agents").catch(() => ({ agents: [] }));
      return list.agents.every((a) => a.status !== "running" && a.status !== "paused");
    }, 15_000).catch(() => {});
    served?.proc.kill("SIGTERM");
    await served?.proc.exited;
    home.cleanup();
    console.log(`web dashboard screenshots kept in ${shots}`);
  }, 30_000);

  test("logs in from a form, keeps the key in this tab only; the grid shows the right rows, live", async () => {
    const response = await page.goto(proxy.url, { waitUntil: "networkidle0" });
    expect(response?.headers()["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY);
    await shot("login-1280x800");
    await login(page, key);
    await page.waitForFunction(`document.querySelectorAll("tr[data-agent-id]").length === 3`, {
      timeout: WAIT,
    });
    expect(page.url()).not.toContain(key);
    expect(await page.evaluate('sessionStorage.getItem("dash.apiKey")')).toBe(key);
    const rows = await page.$$eval("tr[data-agent-id]", (trs) =>
      trs.map((tr) => [tr.querySelector(".name")?.textContent, tr.getAttribute("data-status")]),
    );
    expect(rows.map(([name]) => name).sort()).toEqual(["web-1", "web-2", "web-3"]);
    expect(rows.every(([, status]) => status === "running")).toBe(true);
    await page.waitForFunction(`document.querySelectorAll('progress[value="40"]').length === 3`, {
      timeout: WAIT,
    });
    // An admin key may act: the header does not say read only.
    expect(await textOf(".top .key")).toBe("admin");
  }, 60_000);

  test("a pause made through the API shows in the page, live", async () => {
    const target = byName("web-2");
    // The page notes when the row's status changes; compared with the time the API call was sent.
    await page.evaluate(`
      window.__changes = [];
      new MutationObserver((list) => {
        for (const m of list) window.__changes.push({ id: m.target.getAttribute("data-agent-id"),
          status: m.target.getAttribute("data-status"), at: Date.now() });
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["data-status"] });
    `);
    const sent = Date.now();
    await api("POST", `/api/agents/${target.id}/pause`);
    await page.waitForSelector(row("web-2", "paused"), { timeout: WAIT });
    const changes = (await page.evaluate("window.__changes")) as { id: string; status: string; at: number }[];
    const seen = changes.find((c) => c.id === target.id && c.status === "paused");
    console.log(
      `pause sent → on the page: ${seen ? seen.at - sent : "?"} ms (bench/web-dashboard.ts measures it)`,
    );
    await api("POST", `/api/agents/${target.id}/resume`);
    await page.waitForSelector(row("web-2", "running"), { timeout: WAIT });
  }, 60_000);

  test("sorts by a header, filters with /, moves with j/k, opens with Enter, shows ? help", async () => {
    const names = () =>
      page.evaluate(`[...document.querySelectorAll("tr[data-agent-id] .name")].map((td) => td.textContent)`);
    await page.click("th.col-name button");
    expect(await names()).toEqual(["web-1", "web-2", "web-3"]);
    await page.click("th.col-name button");
    expect(await names()).toEqual(["web-3", "web-2", "web-1"]);
    expect(await attrOf("th.col-name", "aria-sort")).toBe("descending");
    await press("/");
    await page.waitForFunction(`document.activeElement?.id === "agent-filter"`, { timeout: WAIT });
    await page.keyboard.type("web-2");
    await page.waitForFunction(`document.querySelectorAll("tr[data-agent-id]").length === 1`, {
      timeout: WAIT,
    });
    await shot("grid-filtered-1280x800");
    for (let i = 0; i < 5; i++) await press("Backspace");
    await press("Escape");
    await page.waitForFunction(`document.querySelectorAll("tr[data-agent-id]").length === 3`, {
      timeout: WAIT,
    });
    const selected = () => textOf('tr[aria-selected="true"] .name');
    await press("j");
    expect(await selected()).toBe("web-3");
    await press("j");
    await press("j");
    await press("k");
    expect(await selected()).toBe("web-2");
    await press("Enter");
    await page.waitForSelector(`aside.details[data-agent-id="${byName("web-2").id}"]`, { timeout: WAIT });
    await press("Escape");
    await page.waitForFunction(`!document.querySelector("aside.details")`, { timeout: WAIT });
    await press("?");
    await page.waitForSelector("dialog.help[open]", { timeout: WAIT });
    expect(await textOf("dialog.help")).toContain("kill the selected agent");
    await shot("help-1280x800");
    await press("Escape");
    await page.waitForFunction(`!document.querySelector("dialog.help[open]")`, { timeout: WAIT });
    // p and u pause and resume the selected agent, from the keyboard alone.
    await press("p");
    await page.waitForSelector(row("web-2", "paused"), { timeout: WAIT });
    expect((await api<Agent>("GET", `/api/agents/${byName("web-2").id}`)).status).toBe("paused");
    await press("u");
    await page.waitForSelector(row("web-2", "running"), { timeout: WAIT });
    // The event search: / on the events view, every word must match.
    await press("3");
    await press("/");
    await page.waitForFunction(`document.activeElement?.id === "event-search"`, { timeout: WAIT });
    await page.keyboard.type("agent.paused web-2");
    await page.waitForFunction(
      `(() => { const lis = [...document.querySelectorAll("li[data-event-id]")];
        return lis.length > 0 && lis.every((li) => li.dataset.type === "agent.paused"); })()`,
      { timeout: WAIT },
    );
    expect(await textOf(".events .count")).toMatch(/^\d+ of \d+ events$/);
    await shot("events-search-1280x800");
    await page.click("#event-search", { count: 3 });
    await press("Backspace");
    await press("Escape");
    await press("1");
  }, 60_000);

  test("an agent's details show its live log tail and its cost", async () => {
    const target = byName("web-1");
    await page.click(`${row("web-1")} .name button`);
    await page.waitForSelector(`aside.details[data-agent-id="${target.id}"]`, { timeout: WAIT });
    await page.waitForFunction(
      `document.querySelector("aside.details .log pre")?.textContent.includes("hello from ${target.id}")`,
      { timeout: WAIT },
    );
    expect(await attrOf("aside.details [data-cost]", "data-cost")).toBe("0.02");
    expect(await textOf("aside.details .cost")).toContain("120");
    await shot("details-1280x800");
  }, 60_000);

  test("kill from the page asks to confirm, does nothing on cancel, then kills", async () => {
    const target = byName("web-3");
    await page.click(`${row("web-3")} .name button`);
    await page.waitForSelector(`aside.details[data-agent-id="${target.id}"] [data-action="kill"]`, {
      timeout: WAIT,
    });
    await page.click('aside.details [data-action="kill"]');
    await page.waitForSelector("dialog.confirm[open]", { timeout: WAIT });
    expect(await textOf("dialog.confirm h2")).toBe("Kill web-3?");
    await shot("confirm-kill-1280x800");
    await page.click("dialog.confirm button:not([data-confirm])");
    await page.waitForFunction(`!document.querySelector("dialog.confirm[open]")`, { timeout: WAIT });
    await Bun.sleep(300);
    expect((await api<Agent>("GET", `/api/agents/${target.id}`)).status).toBe("running");
    await page.click('aside.details [data-action="kill"]');
    await page.waitForSelector("dialog.confirm[open]", { timeout: WAIT });
    await page.click('dialog.confirm [data-confirm="yes"]');
    await page.waitForSelector(row("web-3", "killed"), { timeout: WAIT });
    expect((await api<Agent>("GET", `/api/agents/${target.id}`)).status).toBe("killed");
    await page.waitForFunction(`document.querySelector(".notice")?.textContent === "killed web-3"`, {
      timeout: WAIT,
    });
    await press("Escape");
  }, 60_000);

  test("an approval shows its context and is answered from the page, after a confirm", async () => {
    const target = byName("web-1");
    const asked = await api<{ id: string }>("POST", "/api/approvals", {
      agentId: target.id,
      title: "deploy to staging?",
      timeoutSeconds: 600,
    });
    await page.waitForFunction(`document.querySelector(".badge-approvals")?.textContent === "1"`, {
      timeout: WAIT,
    });
    await press("5");
    const card = `article.approval[data-approval-id="${asked.id}"]`;
    await page.waitForSelector(card, { timeout: WAIT });
    const text = (await textOf(card)) ?? "";
    expect(text).toContain("sleep a while");
    expect(text).toContain(`hello from ${target.id}`);
    expect(text).toContain("then deny");
    await shot("approvals-1280x800");
    await page.click(`${card} [data-action="approve"]`);
    await page.waitForSelector("dialog.confirm[open]", { timeout: WAIT });
    await page.click('dialog.confirm [data-confirm="yes"]');
    await until(
      async () => (await api<{ status: string }>("GET", `/api/approvals/${asked.id}`)).status === "approved",
    );
    await page.waitForFunction(`!document.querySelector('${card}')`, { timeout: WAIT });
  }, 60_000);

  test("a merge conflict's sides are shown, and the one kept from the page wins", async () => {
    const script = 'echo "by $DASH_AGENT_ID" > shared.txt && git commit -qam "$DASH_AGENT_ID"';
    const swarm = await api<{ id: string }>("POST", "/api/swarm", {
      name: "clash",
      task: "t",
      initialAgents: 2,
      config: { repo, command: ["sh", "-c", script], maxRetries: 0 },
    });
    swarmIds.push(swarm.id);
    await until(
      async () => (await api<{ status: string }>("GET", `/api/swarm/${swarm.id}`)).status === "completed",
      30_000,
    );
    const stopped = await api<MergeOutcome>("POST", `/api/swarm/${swarm.id}/merge`, { into: "review" });
    expect(stopped.status).toBe("conflict");
    const [first, second] = stopped.conflict?.sides ?? [];
    const card = `article.approval[data-approval-id="${stopped.approval?.id}"]`;
    await page.waitForSelector(`${card} [data-side="${second?.name}"]`, { timeout: WAIT });
    const text = (await textOf(card)) ?? "";
    expect(text).toContain("shared.txt");
    expect(text).toContain(`${first?.branch}`);
    expect(text).toContain(`${second?.branch}`);
    await shot("approvals-merge-1280x800");
    await page.click(`${card} [data-side="${second?.name}"]`);
    await page.waitForSelector("dialog.confirm[open]", { timeout: WAIT });
    expect(await textOf("dialog.confirm h2")).toBe(`Keep ${second?.name} in this merge?`);
    await page.click('dialog.confirm [data-confirm="yes"]');
    await page.waitForFunction(
      `document.querySelector(".notice")?.textContent.includes("merged 2 branches into review")`,
      {
        timeout: WAIT,
      },
    );
    expect(git(["show", "review:shared.txt"], repo)).toBe(`by ${second?.agentId}`);
  }, 90_000);

  test("the swarm view draws each swarm's tree, with its actions", async () => {
    await press("2");
    const web = `section.swarm[data-swarm-id="${swarmIds[0]}"]`;
    await page.waitForSelector(`${web} li[data-agent-id="${byName("web-1").id}"]`, { timeout: WAIT });
    expect(await page.$$eval(`${web} .tree li`, (lis) => lis.length)).toBe(3);
    expect(await page.$(`${web} [data-action="destroy"]`)).not.toBeNull();
    await shot("swarms-1280x800");
    await press("4");
    await page.waitForSelector(".chart svg polyline.past", { timeout: WAIT });
    await shot("budgets-1280x800");
    await press("1");
  }, 60_000);

  test("a read key sees everything and no action button; a forged action gets 403", async () => {
    const context = await browser?.createBrowserContext();
    if (!context) throw new Error("no browser");
    try {
      const reader = await context.newPage();
      await reader.setViewport({ width: 1280, height: 800 });
      await login(reader, readKey);
      await reader.waitForFunction(`document.querySelectorAll("tr[data-agent-id]").length === 5`, {
        timeout: WAIT,
      });
      await reader.waitForFunction(
        `document.querySelector(".top .key")?.textContent === "viewer · read only"`,
        {
          timeout: WAIT,
        },
      );
      await reader.click(`${row("web-1")} .name button`);
      await reader.waitForSelector("aside.details .log pre", { timeout: WAIT });
      expect(await reader.$$("[data-action]")).toHaveLength(0);
      for (const view of ["2", "5"]) {
        await reader.keyboard.press(view as "2");
        await Bun.sleep(200);
        expect(await reader.$$("[data-action]")).toHaveLength(0);
      }
      // x on a selected agent does nothing either: no dialog.
      await reader.keyboard.press("1");
      await reader.keyboard.press("j");
      await reader.keyboard.press("x");
      await Bun.sleep(200);
      expect(await reader.$("dialog.confirm[open]")).toBeNull();
      const forged = (await reader.evaluate(
        `fetch("/api/agents/${byName("web-1").id}/pause", { method: "POST",
          headers: { authorization: "Bearer " + sessionStorage.getItem("dash.apiKey"), "content-type": "application/json" },
          body: "{}" }).then(async (r) => ({ status: r.status, body: await r.json() }))`,
      )) as { status: number; body: { error: { code: string } } };
      expect(forged.status).toBe(403);
      expect(forged.body.error.code).toBe("FORBIDDEN");
      expect((await api<Agent>("GET", `/api/agents/${byName("web-1").id}`)).status).toBe("running");
      await reader.screenshot({ path: join(shots, "read-only-1280x800.png") });
    } finally {
      await context.close();
    }
  }, 60_000);

  test("losing the connection shows reconnecting, and resumes with no missed event", async () => {
    const target = byName("web-1");
    // The newest event the page has (the list is newest first): the server's later ones must all come.
    await press("3");
    await page.waitForSelector("li[data-event-id]", { timeout: WAIT });
    const last = await attrOf("li[data-event-id]", "data-event-id");
    proxy.cut();
    await page.waitForSelector('[data-state="reconnecting"]', { timeout: WAIT });
    await shot("reconnecting-1280x800");
    // While the page is away: the agent is paused and resumed, the other swarm destroyed.
    await api("POST", `/api/agents/${target.id}/pause`);
    await api("POST", `/api/agents/${target.id}/resume`);
    await api("POST", `/api/agents/${target.id}/pause`);
    const missed = await api<EventPage>("GET", `/api/events?since=${last}&limit=1000`);
    expect(missed.events.length).toBeGreaterThanOrEqual(3);
    await Bun.sleep(500);
    expect(await page.$(`li[data-event-id="${missed.events[0]?.id}"]`)).toBeNull();
    proxy.restore();
    await page.waitForSelector('[data-state="live"]', { timeout: WAIT * 2 });
    for (const event of missed.events) {
      await page.waitForSelector(`li[data-event-id="${event.id}"]`, { timeout: WAIT });
    }
    // Each event once: the resume replayed after the last one seen, not from the start again.
    const ids = await page.$$eval("li[data-event-id]", (lis) =>
      lis.map((li) => li.getAttribute("data-event-id")),
    );
    expect(new Set(ids).size).toBe(ids.length);
    await press("1");
    await page.waitForSelector(row("web-1", "paused"), { timeout: WAIT });
    await api("POST", `/api/agents/${target.id}/resume`);
    expect(errors.filter((e) => /Content Security Policy|Refused to/.test(e))).toEqual([]);
  }, 90_000);

  test("screenshots of every view at 1280×800 and at a phone's 390×844", async () => {
    for (const [width, height] of [
      [1280, 800],
      [390, 844],
    ] as const) {
      await page.setViewport({ width, height });
      for (const [digit, view] of [
        ["1", "agents"],
        ["2", "swarms"],
        ["3", "events"],
        ["4", "budgets"],
        ["5", "approvals"],
      ] as const) {
        await press(digit);
        await page.waitForSelector(`#tab-${view}[aria-selected="true"]`, { timeout: WAIT });
        await shot(`${view}-${width}x${height}`);
        expect({ view, unlabelled: await unlabelled() }).toEqual({ view, unlabelled: [] });
      }
    }
    await press("1");
    await page.click(`${row("web-1")} .name button`);
    await page.waitForSelector("aside.details", { timeout: WAIT });
    await shot("details-390x844");
    await page.setViewport({ width: 1280, height: 800 });
  }, 60_000);
});
