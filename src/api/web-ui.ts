import type { HTMLBundle } from "bun";
import page from "../web/index.html";

/**
 * The web dashboard (src/web/) at `/`, its assets under `/ui/`. Bun bundles index.html, its module
 * script and CSS (at build time into the compiled binary; from source on first use). Bun serves an
 * HTML import only as a route of its own and with its own headers, so the bundle is read once from a
 * private loopback server and then served from memory here, with the security headers below and
 * asset paths moved under `/ui/`. Nothing is fetched from anywhere else: it works offline.
 */

/** A strict policy: no inline script or style, nothing from another origin, never framed. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  // The event stream is a WebSocket to this same server.
  "connect-src 'self' ws: wss:",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export const UI_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
};

interface Asset {
  body: Uint8Array;
  type: string;
  /** The page itself is revalidated; hashed assets never change. */
  cache: string;
}

export type UiAssets = ReadonlyMap<string, Asset>;

/** Paths the bundled HTML refers to (`src="/chunk-….js"`, `href="/chunk-….css"`). */
function referencedPaths(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)="(\/[^"/][^"]*)"/g)].map((m) => m[1] as string);
}

/** Serves `bundle` on a private loopback port just long enough to read the page and its assets. */
export async function loadBundle(bundle: HTMLBundle = page): Promise<UiAssets> {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", development: false, routes: { "/": bundle } });
  try {
    const read = async (path: string): Promise<Response> => {
      const response = await fetch(new URL(path, server.url));
      if (!response.ok) throw new Error(`web UI bundle: ${path} answered ${response.status}`);
      return response;
    };
    const index = await read("/");
    let html = await index.text();
    const assets = new Map<string, Asset>();
    for (const path of referencedPaths(html)) {
      const response = await read(path);
      const name = `/ui${path}`;
      assets.set(name, {
        body: new Uint8Array(await response.arrayBuffer()),
        type: response.headers.get("content-type") ?? "application/octet-stream",
        cache: "public, max-age=31536000, immutable",
      });
      html = html.replaceAll(`"${path}"`, `"${name}"`);
    }
    assets.set("/", {
      body: new TextEncoder().encode(html),
      type: "text/html;charset=utf-8",
      cache: "no-cache",
    });
    return assets;
  } finally {
    await server.stop(true);
  }
}

function serve(assets: UiAssets, path: string): Response {
  const asset = assets.get(path);
  const headers = { ...UI_HEADERS };
  if (!asset) {
    return new Response("Not found", { status: 404, headers: { ...headers, "Content-Type": "text/plain" } });
  }
  return new Response(asset.body, {
    headers: { ...headers, "Content-Type": asset.type, "Cache-Control": asset.cache },
  });
}

export type UiHandler = (request: Request) => Promise<Response>;

/**
 * The routes for Bun.serve: `/` and `/ui/*`. The bundle is read on the first request (so a server
 * that never shows the page never builds it) and kept; a failure to read it is retried next time.
 */
export function webUiRoutes(load: () => Promise<UiAssets> = loadBundle): Record<string, { GET: UiHandler }> {
  let assets: Promise<UiAssets> | null = null;
  const handler: UiHandler = async (request) => {
    assets ??= load().catch((error: unknown) => {
      assets = null;
      throw error;
    });
    return serve(await assets, new URL(request.url).pathname);
  };
  return { "/": { GET: handler }, "/ui/*": { GET: handler } };
}
