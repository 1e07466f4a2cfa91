#!/usr/bin/env bun
/**
 * Compiles the `dash` executable. `bun run build` builds for this machine into dist/dash;
 * `bun run build --all` builds dist/dash-<os>-<arch> for every target below and their
 * dist/SHA256SUMS, which scripts/install.sh checks a download against.
 *
 * OpenTUI loads its native renderer from a per-platform package (@opentui/core-<os>-<arch>) by a
 * dynamic import: each binary embeds its own platform's package and marks the others external.
 * A cross build needs the other platforms' packages on disk: `bun install --os='*' --cpu='*'`,
 * which this script runs once when one is missing.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { BunPlugin } from "bun";
import pkg from "./package.json" with { type: "json" };

export const TARGETS = {
  "linux-x64": "bun-linux-x64",
  "linux-arm64": "bun-linux-arm64",
  "darwin-arm64": "bun-darwin-arm64",
} as const;
export type Target = keyof typeof TARGETS;

const OPENTUI_PLATFORMS = [
  "darwin-x64",
  "darwin-arm64",
  "linux-x64",
  "linux-arm64",
  "linux-x64-musl",
  "linux-arm64-musl",
  "win32-x64",
  "win32-arm64",
];

export function hostTarget(): Target {
  const target = `${process.platform}-${process.arch}`;
  if (target in TARGETS) return target as Target;
  throw new Error(`no build target for this machine (${target}); known: ${Object.keys(TARGETS).join(", ")}`);
}

function version(): string {
  const commit = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], {
    cwd: import.meta.dir,
    stderr: "ignore",
  });
  const sha = commit.exitCode === 0 ? commit.stdout.toString().trim() : "";
  return sha ? `${pkg.version}+${sha}` : pkg.version;
}

function nativePresent(target: Target): boolean {
  return existsSync(join(import.meta.dir, "node_modules", "@opentui", `core-${target}`));
}

/** `plugins`: for measuring builds only (bench/web-size.ts builds one without the web dashboard). */
export async function buildBinary(target: Target, outfile: string, plugins: BunPlugin[] = []): Promise<void> {
  const result = await Bun.build({
    plugins,
    // The SQLite checkpoint worker is a module of its own (new Worker), embedded beside main.
    entrypoints: [
      join(import.meta.dir, "src/main.ts"),
      join(import.meta.dir, "src/storage/sqlite-checkpoint-worker.ts"),
    ],
    minify: true,
    sourcemap: "none",
    // React's production build: the development one leaks native memory on every render.
    define: { DASH_BUILD_VERSION: JSON.stringify(version()), "process.env.NODE_ENV": '"production"' },
    external: OPENTUI_PLATFORMS.filter((p) => p !== target).map((p) => `@opentui/core-${p}`),
    compile: {
      target: TARGETS[target],
      outfile,
      // Start-up code runs once: compiling it with the JIT only costs memory (issue 29, ~2 MiB of
      // RSS). The server and the dashboard set the normal policy back once they are up
      // (Bun.unsafe.setJITPolicy(1)); one-shot commands and agent shims keep this reluctant one.
      jitPolicy: 100,
      // The binary is configured by DASH_HOME/config.yaml and the environment only: it must not
      // pick up a bunfig.toml, .env, tsconfig.json or package.json from wherever it is run.
      autoloadBunfig: false,
      autoloadDotenv: false,
      autoloadTsconfig: false,
      autoloadPackageJson: false,
    },
  });
  if (!result.success) {
    throw new AggregateError(
      result.logs,
      `build for ${target} failed:\n${result.logs.map(String).join("\n")}`,
    );
  }
}

/**
 * Writes dir/SHA256SUMS for the named files in dir, in `sha256sum` format (`<hex>  <name>`), so
 * `sha256sum -c` and `shasum -a 256 -c` read it as well as install.sh. Streams each file: a binary
 * is over 100 MB.
 */
export async function writeChecksums(dir: string, names: readonly string[]): Promise<string> {
  const lines: string[] = [];
  for (const name of names) {
    const hasher = new Bun.CryptoHasher("sha256");
    for await (const chunk of Bun.file(join(dir, name)).stream()) hasher.update(chunk);
    lines.push(`${hasher.digest("hex")}  ${name}`);
  }
  const path = join(dir, "SHA256SUMS");
  await Bun.write(path, `${lines.join("\n")}\n`);
  return path;
}

if (import.meta.main) {
  const all = Bun.argv.includes("--all");
  const targets: Target[] = all ? (Object.keys(TARGETS) as Target[]) : [hostTarget()];
  if (targets.some((t) => !nativePresent(t))) {
    console.log("installing every platform's OpenTUI native package (bun install --os='*' --cpu='*')…");
    const install = Bun.spawnSync(["bun", "install", "--frozen-lockfile", "--os=*", "--cpu=*"], {
      cwd: import.meta.dir,
      stdout: "inherit",
      stderr: "inherit",
    });
    if (install.exitCode !== 0) process.exit(install.exitCode ?? 1);
  }
  for (const target of targets) {
    const outfile = join(import.meta.dir, "dist", all ? `dash-${target}` : "dash");
    const started = performance.now();
    await buildBinary(target, outfile);
    const size = (Bun.file(outfile).size / 1024 / 1024).toFixed(1);
    console.log(
      `built ${outfile} (${target}, ${size} MiB) in ${((performance.now() - started) / 1000).toFixed(1)}s`,
    );
  }
  // Only a full set gets sums: a one-target build's dist/dash is not what install.sh fetches.
  if (all) {
    const sums = await writeChecksums(
      join(import.meta.dir, "dist"),
      targets.map((t) => `dash-${t}`),
    );
    console.log(`wrote ${sums}`);
  }
}
