import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  assertRunnable,
  availableRuntimes,
  firstRunRuntime,
  type RuntimeCatalog,
} from "../../src/core/runnable.ts";
import { builtInPresets } from "../../src/runtimes/presets.ts";
import { refusal } from "../helpers.ts";

/**
 * Which runtimes can run on this server (core/runnable.ts): real PATHs of temp folders holding
 * the programs a preset starts (small scripts named like the CLIs), and the real bwrap.
 */

const T = mkdtempSync(join(tmpdir(), "dash-runnable-"));
afterAll(() => rmSync(T, { recursive: true, force: true }));

/** A folder with executables of these names, and what a PATH of it (plus bwrap's folder) is. */
function pathWith(name: string, programs: string[], withBwrap = true): string {
  const dir = join(T, name);
  mkdirSync(dir, { recursive: true });
  for (const program of programs) {
    writeFileSync(join(dir, program), "#!/bin/sh\necho ok\n");
    chmodSync(join(dir, program), 0o755);
  }
  const bwrap = Bun.which("bwrap");
  return withBwrap && bwrap ? `${dir}:${bwrap.slice(0, bwrap.lastIndexOf("/"))}` : dir;
}

const catalog = (extra: RuntimeCatalog["presets"] = {}, defaultRuntime = "claude-code"): RuntimeCatalog => ({
  presets: { ...builtInPresets(), ...extra },
  defaultRuntime,
});

describe("assertRunnable", () => {
  test("a runtime whose CLI is missing: 400 naming the runtime, the program and its npm package", () => {
    const path = pathWith("none", []);
    const error = refusal(() => assertRunnable({}, catalog(), path));
    expect(error.code).toBe("VALIDATION_ERROR");
    expect(error.status).toBe(400);
    expect(error.message).toContain('runtime "claude-code" needs `claude`');
    expect(error.message).toContain("npm install -g @anthropic-ai/claude-code");
    expect(error.details).toMatchObject({
      field: "config.runtime",
      runtime: "claude-code",
      program: "claude",
    });
    // What else would run here is offered (dash itself runs demo, openai and openclaw).
    expect(error.message).toContain("or pick a runtime that is: demo");
  });

  test("a custom preset's program, and a raw argv's, are looked up the same way", () => {
    const path = pathWith("tools", ["my-agent"]);
    const presets = { mine: { kind: "command" as const, command: ["my-agent", "{task}"] } };
    expect(() => assertRunnable({ runtime: "mine" }, catalog(presets), path)).not.toThrow();
    expect(() => assertRunnable({ command: ["my-agent", "x"] }, catalog(), path)).not.toThrow();
    const error = refusal(() => assertRunnable({ command: ["not-here", "x"] }, catalog(), path));
    expect(error.message).toContain("install `not-here` or put it on the server's PATH");
  });

  test("an installed CLI passes; a blocked one is refused; an unknown runtime names the ones there are", () => {
    const path = pathWith("claude", ["claude"]);
    expect(() => assertRunnable({}, catalog(), path)).not.toThrow();
    expect(refusal(() => assertRunnable({ blockedCommands: ["claude"] }, catalog(), path)).message).toContain(
      "blockedCommands",
    );
    expect(refusal(() => assertRunnable({ runtime: "nope" }, catalog(), path)).message).toContain(
      'unknown runtime "nope"',
    );
  });

  test.if(process.platform === "linux")("the sandbox on and no bwrap: SANDBOX_UNAVAILABLE; off: fine", () => {
    const path = pathWith("claude-only", ["claude"], false);
    const error = refusal(() => assertRunnable({}, catalog(), path));
    expect(error.code).toBe("SANDBOX_UNAVAILABLE");
    expect(error.message).toContain("apt-get install bubblewrap");
    expect(() => assertRunnable({ fileSandbox: false }, catalog(), path)).not.toThrow();
  });
});

describe("availableRuntimes and firstRunRuntime", () => {
  test("nothing installed: dash's own runtimes only, and the first run is demo", () => {
    const path = pathWith("bare", []);
    expect(availableRuntimes(catalog(), path)).toEqual(["demo", "openai", "openclaw"]);
    expect(firstRunRuntime(catalog(), path)).toBe("demo");
  });

  test("the default's CLI when it is here, else the first coding CLI found", () => {
    expect(firstRunRuntime(catalog(), pathWith("both", ["claude", "codex"]))).toBe("claude-code");
    expect(firstRunRuntime(catalog(), pathWith("codex", ["codex"]))).toBe("codex");
    expect(firstRunRuntime(catalog({}, "opencode"), pathWith("all", ["claude", "opencode"]))).toBe(
      "opencode",
    );
    expect(availableRuntimes(catalog(), pathWith("codex", ["codex"]))).toContain("codex");
  });

  test("no CLI but an OpenAI-compatible endpoint in the config: that preset", () => {
    const presets = { local: { kind: "openai" as const, baseUrl: "http://127.0.0.1:11434/v1" } };
    expect(firstRunRuntime(catalog(presets), pathWith("bare", []))).toBe("local");
  });
});
