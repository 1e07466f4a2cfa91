/**
 * A small tmux driver for tests and benches that need a real terminal: a detached session of a
 * fixed size runs one command, keys go in with send-keys, the screen comes out with capture-pane.
 * Each session gets its own server on a socket in a temp dir (`-S`), started with `-f /dev/null`
 * and a clean environment, so a user's tmux server, config and DASH_* variables never leak in.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TmuxOptions {
  width?: number;
  height?: number;
  /** The pane's whole environment besides PATH, TERM (tmux's) and LANG. */
  env?: Record<string, string>;
  cwd?: string;
}

/** Throws a clear error when tmux is missing: the e2e suite must fail, not skip, without it. */
export function requireTmux(): string {
  const found = Bun.which("tmux");
  if (!found)
    throw new Error("tmux is not installed: the dashboard e2e tests need it (apt-get install tmux)");
  return found;
}

export class Tmux {
  private readonly dir = mkdtempSync(join(tmpdir(), "dash-tmux-"));
  private readonly socket = join(this.dir, "s");
  private closed = false;

  private constructor(private readonly tmux: string) {}

  /** Starts a session running `command` (argv, exec'd directly: no shell unless you ask for one). */
  static start(command: string[], options: TmuxOptions = {}): Tmux {
    const t = new Tmux(requireTmux());
    const { width = 120, height = 34, env = {}, cwd = t.dir } = options;
    const envFlags = Object.entries(env).flatMap(([name, value]) => ["-e", `${name}=${value}`]);
    // The server inherits this client's environment: only what a terminal needs, UTF-8 for "◆".
    const clean = { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", HOME: t.dir };
    const size = ["-x", String(width), "-y", String(height)];
    const args = ["new-session", "-d", ...size, "-c", cwd, ...envFlags, "--", ...command];
    const run = Bun.spawnSync([t.tmux, "-S", t.socket, "-f", "/dev/null", ...args], { env: clean });
    if (run.exitCode !== 0) {
      t.kill();
      throw new Error(`tmux new-session failed: ${run.stderr.toString()}`);
    }
    return t;
  }

  private run(args: string[]): string {
    const run = Bun.spawnSync([this.tmux, "-S", this.socket, ...args], { stderr: "pipe" });
    if (run.exitCode !== 0) throw new Error(`tmux ${args[0]} failed: ${run.stderr.toString().trim()}`);
    return run.stdout.toString();
  }

  /** Key names as tmux knows them ("j", "Enter", "Escape", "C-c"). */
  keys(...keys: string[]): void {
    this.run(["send-keys", "-t", "0", ...keys]);
  }

  /** Literal text, typed as is. */
  type(text: string): void {
    this.run(["send-keys", "-t", "0", "-l", text]);
  }

  /** The visible screen as text, one line per row (trailing spaces trimmed by tmux). */
  capture(): string {
    return this.run(["capture-pane", "-p", "-t", "0"]);
  }

  /** A format of the pane, e.g. '#{alternate_on}', '#{cursor_flag}', '#{pane_pid}'. */
  display(format: string): string {
    return this.run(["display-message", "-p", "-t", "0", format]).trim();
  }

  /**
   * Polls the screen every ~10 ms until `check` holds and returns that screen; on timeout throws
   * with what the screen showed last, which is what a failing test needs to be read.
   */
  async waitFor(
    check: (screen: string) => boolean,
    timeoutMs = 10_000,
    what = "the screen",
  ): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    let screen = "";
    for (;;) {
      screen = this.capture();
      if (check(screen)) return screen;
      if (performance.now() > deadline) break;
      await Bun.sleep(10);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the screen:\n${screen}`);
  }

  /** Waits for the screen to contain `text`. */
  waitForText(text: string, timeoutMs?: number): Promise<string> {
    return this.waitFor((s) => s.includes(text), timeoutMs, JSON.stringify(text));
  }

  /** Ends the session's server (and with it the pane's process) and removes the socket. Idempotent. */
  kill(): void {
    if (this.closed) return;
    this.closed = true;
    Bun.spawnSync([this.tmux, "-S", this.socket, "kill-server"], { stderr: "ignore", stdout: "ignore" });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// Reading `dash dashboard`'s screen, shared by its e2e test and its bench.

/** The status an agent's row shows in the grid: the part of each row left of the Details panel. */
export function gridStatus(screen: string, name: string): string | undefined {
  const row = new RegExp(`^│(?:\\S+\\s+)?${name}\\s+([A-Z]+)\\s`);
  for (const line of screen.split("\n")) {
    const match = row.exec(line.split("││")[0] ?? "");
    if (match) return match[1];
  }
  return undefined;
}

/** The first word of the Details panel: the selected agent's name. */
export function detailsName(screen: string): string | undefined {
  const lines = screen.split("\n");
  const at = lines.findIndex((l) => l.includes("─ Details"));
  const column = lines[at]?.indexOf("╭─ Details") ?? -1;
  return lines[at + 1]
    ?.slice(column + 1)
    .trim()
    .split(/\s+/)[0];
}
