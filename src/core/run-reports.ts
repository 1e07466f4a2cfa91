import type { Logger } from "../log.ts";
import type { AgentRun } from "../runtimes/agent-run.ts";
import type { Report } from "../runtimes/runtime.ts";
import type { Lifecycle } from "./lifecycle.ts";

/** Lines applied between two turns of the event loop. */
const BURST_LINES = 256;

/**
 * Applies the complete lines a run wrote since the last pass, in order: each report is one write
 * with the log offset just past its line (so a restart never applies it twice); other lines are
 * kept as the run's last lines. With `final`, a last line without a newline too.
 */
export async function applyNewLines(lifecycle: Lifecycle, log: Logger, run: AgentRun, final = false) {
  let read = 0;
  for (const line of run.reader.read(final)) {
    run.readEnd = line.end;
    run.keepLine(line.text);
    for (const report of run.parser.line(line.text)) await apply(lifecycle, log, run, report, line.end);
    // A burst of thousands of lines is as many transactions: let requests and timers in between.
    if (++read % BURST_LINES === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

async function apply(lifecycle: Lifecycle, log: Logger, run: AgentRun, report: Report, logOffset: number) {
  const id = run.agentId;
  try {
    // A gateway-metered agent's spend is its calls, settled at the gateway: its CLI's own
    // account of them (Claude's result line) would count them twice.
    if (report.kind === "usage" && run.metering === "gateway") return;
    // A report that leaves no room (or crosses a threshold that pauses or kills) holds the agent in
    // its own transaction; the scheduler answers that agent.paused with SIGSTOP while recordUsage
    // publishes it, so the group is stopped before this run's next line is applied.
    if (report.kind === "usage") await lifecycle.recordUsage(id, report.usage, logOffset);
    else if (report.kind === "progress") {
      const { current, total } = report;
      await lifecycle.reportProgress(id, { current, total }, undefined, { logOffset });
    } else if (report.kind === "result") {
      run.result = report.value;
      await lifecycle.noteRun(id, { result: report.value, logOffset });
    } else if (report.kind === "session") await lifecycle.noteRun(id, { sessionId: report.id, logOffset });
    else run.errorMessage = report.message;
  } catch (error) {
    // A report the state machine refuses (progress while paused) is dropped, not retried.
    log.debug("report not applied", { agentId: id, kind: report.kind, error: String(error) });
  }
}
