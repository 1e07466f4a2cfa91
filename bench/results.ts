/**
 * `bench/RESULTS.md`: the published figures. Each runner (`bun run bench`, `stress:crash`,
 * `stress:agents`, `soak`) owns one section between markers and replaces only that one, so the
 * last result of every long run stays next to the others.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";

export const RESULTS_PATH = join(import.meta.dir, "RESULTS.md");

/** The sections in the order they appear in the file. */
export const SECTIONS = {
  bench: "Benchmarks (`bun run bench`)",
  profile: "Where the HTTP API's time goes (`bun bench/profile.ts`)",
  crash: "Crash durability (`bun run stress:crash`)",
  agents: "Concurrent agents (`bun run stress:agents`)",
  soak: "Soak (`bun run soak`)",
} as const;
export type SectionId = keyof typeof SECTIONS;

const HEADER = `# Dash: measured results

Written by the runners named in each section (never by hand); each run replaces its own section.
Targets are the PRD's (§4.5 dashboard, §8 performance, §3 stories, §9.4 stress). Figures depend on
the machine, which each section names.
`;

const open = (id: string) => `<!-- section:${id} -->`;
const close = (id: string) => `<!-- /section:${id} -->`;

/** One line naming the machine, runtime and date, for the top of a section. */
export function machineLine(now = new Date()): string {
  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  const gib = (totalmem() / 1024 ** 3).toFixed(0);
  const cores = navigator.hardwareConcurrency;
  return `Run ${now.toISOString().slice(0, 16).replace("T", " ")} UTC on ${cpu}, ${cores} cores, ${gib} GiB, ${process.platform}-${process.arch}, Bun ${Bun.version}.`;
}

/** A Markdown table; cells are stringified and pipes escaped. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cell = (v: string | number) => String(v).replaceAll("|", "\\|");
  const line = (cells: (string | number)[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(headers), line(headers.map(() => "---")), ...rows.map(line)].join("\n");
}

/** The file's text with section `id` replaced by `body` (sections missing so far are added empty). */
export function withSection(text: string, id: SectionId, body: string): string {
  let out = text.startsWith("# ") ? text : HEADER;
  for (const [sid, title] of Object.entries(SECTIONS)) {
    if (!out.includes(open(sid))) out += `\n## ${title}\n\n${open(sid)}\nNot run yet.\n${close(sid)}\n`;
  }
  const start = out.indexOf(open(id)) + open(id).length;
  const end = out.indexOf(close(id));
  return `${out.slice(0, start)}\n${body.trim()}\n${out.slice(end)}`;
}

/** Replaces section `id` of bench/RESULTS.md (or `path`) with `body`. */
export function writeSection(id: SectionId, body: string, path = RESULTS_PATH): void {
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  writeFileSync(path, withSection(text, id, body));
  console.log(`wrote section "${id}" of ${path}`);
}
