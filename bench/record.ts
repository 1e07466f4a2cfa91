/**
 * What `bun run bench` prints, kept for bench/RESULTS.md: every console.log line and
 * console.table of the benchmarks is recorded as Markdown, and named figures are kept by name
 * so the PRD-targets table can be built from them.
 */
import { table } from "./results.ts";
import type { Summary } from "./stats.ts";

/** Latency summaries by benchmark name (from printSummaries). */
export const SUMMARIES = new Map<string, Summary>();
/** Single figures by name (ms, MiB, percent) for benches that are not latency series. */
export const VALUES = new Map<string, number>();

const blocks: string[] = [];

/** Starts recording console output as Markdown blocks; returns them, and a function that stops. */
export function recordConsole(): { blocks: string[]; stop: () => void } {
  const { log, table: printTable } = console;
  console.log = (...args: unknown[]) => {
    log(...args);
    const text = args.map(String).join(" ").trim();
    if (text) blocks.push(text.startsWith("\n") ? text.trim() : text);
  };
  console.table = (rows: unknown) => {
    printTable(rows);
    const list = rows as Record<string, unknown>[];
    const headers = Object.keys(list[0] ?? {});
    blocks.push(
      table(
        headers,
        list.map((r) => headers.map((h) => String(r[h] ?? ""))),
      ),
    );
  };
  return {
    blocks,
    stop: () => {
      console.log = log;
      console.table = printTable;
    },
  };
}
