import { type FSWatcher, watch } from "node:fs";
import type { Subprocess } from "bun";
import type { Metering } from "../domain/agent.ts";
import { LogReader } from "./log-reader.ts";
import type { RunFiles } from "./run-files.ts";
import type { ExitStatus, OutputParser } from "./runtime.ts";

const LAST_LINES = 20;

/**
 * One attempt of one agent as the supervisor follows it: its shim, its log read position, what its
 * output said so far, and its timeout clock (which stops while the agent is paused).
 */
export class AgentRun {
  readonly reader: LogReader;
  readonly lastLines: string[] = [];
  result: unknown = undefined;
  errorMessage: string | null = null;
  /** Set once the supervisor decided to stop it (kill, timeout): its exit is then expected. */
  stopping: "kill" | "timeout" | null = null;
  /** The shim's own process handle when this server started it (not after a restart). */
  child: Subprocess | null = null;
  shimExited = false;
  /** The attempt's DASH_AGENT_TOKEN key, revoked when it ends (unknown after a restart). */
  tokenId: string | null = null;
  /** "gateway": its spend is the gateway's calls, so usage in its output is not counted again. */
  metering: Metering = "reports";
  /** Offset just past the last line read (reports or not): where the next attempt's reading resumes. */
  readEnd: number | null = null;
  /** The pass over its new lines in progress (one at a time, so reports apply in log order). */
  private following: Promise<void> | null = null;
  /** Asked for again during that pass: it reads once more before it ends. */
  private again = false;
  /** Its exit is being settled: the last pass is the supervisor's, no more are started here. */
  private ending = false;
  private watcher: FSWatcher | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timeLeft: number;
  private timerStarted = 0;

  constructor(
    readonly agentId: string,
    readonly attempt: number,
    readonly files: RunFiles,
    readonly pid: number,
    readonly startTime: string,
    readonly parser: OutputParser,
    logOffset: number,
    readonly timeoutMs: number,
  ) {
    this.reader = new LogReader(files.log, logOffset);
    this.timeLeft = timeoutMs;
  }

  /**
   * Calls `onGrow` whenever the run's directory changes (its log grows, its exit is written), so a
   * report is read as soon as it is written. Watching the directory also sees a log the shim has
   * not created yet. False when it cannot be watched: then the supervisor's poll alone reads it.
   */
  watch(onGrow: () => void): boolean {
    if (this.watcher) return true;
    try {
      this.watcher = watch(this.files.dir, { persistent: false }, () => onGrow());
      this.watcher.on("error", () => this.unwatch());
      return true;
    } catch {
      return false;
    }
  }

  /** No more passes of its own: what remains is read once, by whoever settles its exit. */
  async stopFollowing(): Promise<void> {
    this.ending = true;
    this.unwatch();
    while (this.following) await this.following;
  }

  unwatch(): void {
    this.watcher?.close();
    this.watcher = null;
  }

  /**
   * Runs `pass` over the lines written since the last one, or, when a pass is in progress, makes it
   * run once more: a line written meanwhile is read by the pass the caller waits for.
   */
  follow(pass: () => Promise<void>): Promise<void> {
    if (this.ending) return Promise.resolve();
    if (this.following) {
      this.again = true;
      return this.following;
    }
    this.following = (async () => {
      do {
        this.again = false;
        await pass();
      } while (this.again && !this.ending);
    })().finally(() => {
      this.following = null;
    });
    return this.following;
  }

  keepLine(text: string): void {
    this.lastLines.push(text.length > 500 ? `${text.slice(0, 500)}…` : text);
    if (this.lastLines.length > LAST_LINES) this.lastLines.shift();
  }

  startClock(onTimeout: () => void): void {
    if (this.timer) return;
    this.timerStarted = Date.now();
    this.timer = setTimeout(onTimeout, Math.max(0, this.timeLeft));
  }

  /** Time the attempt already ran before this server followed it (after a restart). */
  spend(ms: number): void {
    this.timeLeft -= Math.max(0, ms);
  }

  /** Paused time does not count against the timeout. */
  stopClock(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.timeLeft -= Date.now() - this.timerStarted;
  }

  close(): void {
    this.ending = true;
    this.unwatch();
    this.stopClock();
    this.reader.close();
  }
}

/** How an attempt ended, when the shim vanished without saying (SIGKILL to the group, a reboot). */
export function lostExit(): ExitStatus {
  return { code: null, signal: null, lost: true, endedAt: Date.now() };
}
