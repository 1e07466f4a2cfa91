import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

/*
 * Seeds of the fuzz suites. A run uses FUZZ_SEED, or a fixed default so CI stays deterministic, and
 * also replays every seed that once failed: those are saved in fuzz-failures/ (committed, they are a
 * regression corpus), with the distinct problems found and the command that replays them.
 */

export const FAILURES_DIR = join(import.meta.dir, "fuzz-failures");
const ROOT = join(import.meta.dir, "..", "..");

/** One distinct problem: how often it happened in the run and the first example of it. */
export interface Problem {
  count: number;
  example: string;
}

export interface SavedFailure {
  suite: string;
  seed: number;
  date: string;
  command: string;
  problems: { problem: string; count: number; example: string }[];
}

/** FUZZ_SEED=<integer>, FUZZ_SEED=random (a fresh seed, printed so it can be replayed), or `fallback`. */
export function chosenSeed(fallback: number, env = process.env.FUZZ_SEED): number {
  if (!env) return fallback;
  if (env === "random") {
    const seed = Math.floor(Math.random() * 2 ** 31);
    console.log(`FUZZ_SEED=random picked seed ${seed}`);
    return seed;
  }
  const seed = Number(env);
  if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED must be an integer or "random", got ${env}`);
  return seed;
}

/** The seeds saved for `suite`. A file that cannot be read fails loudly: a silently skipped seed is a lost regression. */
export function savedSeeds(suite: string): number[] {
  if (!existsSync(FAILURES_DIR)) return [];
  return readdirSync(FAILURES_DIR)
    .filter((name) => name.startsWith(`${suite}-`) && name.endsWith(".json"))
    .flatMap((name) => {
      const saved = JSON.parse(readFileSync(join(FAILURES_DIR, name), "utf8")) as Partial<SavedFailure>;
      // The name prefix alone could also match another suite's files (fuzz-ws-… starts with fuzz-).
      if (saved.suite !== suite) return [];
      if (!Number.isSafeInteger(saved.seed)) throw new Error(`${name}: "seed" must be an integer`);
      return [saved.seed as number];
    });
}

/** The seeds of this run: the chosen one first, then the saved ones, each once. */
export function fuzzSeeds(suite: string, fallback: number): number[] {
  return [...new Set([chosenSeed(fallback), ...savedSeeds(suite)])];
}

/**
 * Saves a failing seed as fuzz-failures/<suite>-<seed>.json (overwriting an earlier save of the same
 * seed) and prints where; returns the path, or null when there is nothing to save.
 */
export function saveFailure(
  suite: string,
  testFile: string,
  seed: number,
  problems: ReadonlyMap<string, Problem>,
): string | null {
  if (problems.size === 0) return null;
  mkdirSync(FAILURES_DIR, { recursive: true });
  const path = join(FAILURES_DIR, `${suite}-${seed}.json`);
  const saved: SavedFailure = {
    suite,
    seed,
    date: new Date().toISOString(),
    command: `FUZZ_SEED=${seed} bun test ${relative(ROOT, testFile)}`,
    problems: [...problems].map(([problem, { count, example }]) => ({ problem, count, example })),
  };
  writeFileSync(path, `${JSON.stringify(saved, null, 2)}\n`);
  console.log(`${suite}: seed ${seed} failed; saved ${relative(ROOT, path)}; replay: ${saved.command}`);
  return path;
}
