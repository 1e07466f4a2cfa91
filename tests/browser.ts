/**
 * A real browser for the web dashboard's tests: Debian's Chromium (`apt-get install -y chromium`;
 * .ci/run installs it), headless, driven over the DevTools protocol by puppeteer-core, which
 * never downloads a browser of its own.
 */
import { existsSync } from "node:fs";
import puppeteer, { type Browser } from "puppeteer-core";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/** The browser binary: DASH_CHROMIUM, else the first system Chromium found. */
export function chromiumPath(): string | null {
  const chosen = process.env.DASH_CHROMIUM;
  if (chosen) return existsSync(chosen) ? chosen : null;
  return CANDIDATES.find((path) => existsSync(path)) ?? null;
}

/**
 * Why the browser tests cannot run here, or null when they can. In CI a missing browser is not a
 * reason to skip: the tests run and fail, so a broken install step cannot pass unnoticed.
 */
export function chromiumMissing(): string | null {
  if (chromiumPath() || process.env.CI) return null;
  return "Chromium is not installed (no /usr/bin/chromium; set DASH_CHROMIUM): apt-get install -y chromium";
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath)
    throw new Error(chromiumMissing() ?? "Chromium is not installed: apt-get install -y chromium");
  return puppeteer.launch({
    executablePath,
    headless: true,
    // As root (CI) Chromium refuses to start without --no-sandbox; /dev/shm may be tiny in containers.
    args: ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--no-first-run", "--disable-gpu"],
    timeout: 60_000,
  });
}
