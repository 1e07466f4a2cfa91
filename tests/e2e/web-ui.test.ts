import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CONTENT_SECURITY_POLICY, loadBundle, webUiRoutes } from "../../src/api/web-ui.ts";
import { testServer } from "../api-helpers.ts";
import { tempHome } from "../helpers.ts";
import { compiledDash, startServe } from "./compiled.ts";

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

describe("the compiled binary without the UI", () => {
  test("--no-ui and ui.enabled: false answer 404 at / while the API stays", async () => {
    const flagHome = tempHome("dash-web-off-");
    const configHome = tempHome("dash-web-off-");
    writeFileSync(join(configHome.dir, "config.yaml"), "ui:\n  enabled: false\n");
    try {
      for (const [dir, extra] of [
        [flagHome.dir, ["--no-ui"]],
        [configHome.dir, []],
      ] as const) {
        const off = await startServe(await compiledDash(), dir, {}, [...extra]);
        try {
          expect((await fetch(new URL("/", off.url))).status).toBe(404);
          expect((await fetch(new URL("/health", off.url))).status).toBe(200);
        } finally {
          off.proc.kill("SIGTERM");
          await off.proc.exited;
        }
      }
    } finally {
      flagHome.cleanup();
      configHome.cleanup();
    }
  }, 60_000);
});
