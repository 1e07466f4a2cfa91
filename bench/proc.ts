/** Readers of /proc for the benchmarks that measure processes (Linux only). */
import { readFileSync } from "node:fs";

export const TICKS_PER_SECOND = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;

/** A /proc file's text, or "" once the process is gone. */
export const readProc = (path: string): string => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
};

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces); null once gone. */
export function procStat(pid: number) {
  const text = readProc(`/proc/${pid}/stat`);
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return text ? { state: f[0], ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) } : null;
}

/** A `Field:   123 kB` line of a /proc file, in kB. */
export const kB = (path: string, field: string): number =>
  Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readProc(path))?.[1] ?? Number.NaN);

export const mib = (kb: number): string => `${(kb / 1024).toFixed(1)} MiB`;
