import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { macosProfile, SANDBOX_EXEC, sandboxExecArgv } from "../../src/safety/sandbox-macos.ts";
import type { SandboxPlan } from "../../src/safety/sandbox-plan.ts";

const plan = (over: Partial<SandboxPlan> = {}): SandboxPlan => ({
  workspace: "/Users/me/.dash/agents/a1/workspace",
  writable: ["/Users/me/.npm"],
  hidden: ["/Users/me/.dash", "/Users/me/.ssh"],
  blockedExecutables: ["/usr/bin/curl"],
  network: false,
  ...over,
});

const allPaths = (p: SandboxPlan) => [p.workspace, ...p.writable, ...p.hidden, ...p.blockedExecutables];

/** Never below zero and back to zero at the end. */
function balanced(text: string): boolean {
  let depth = 0;
  for (const char of text) {
    depth += char === "(" ? 1 : char === ")" ? -1 : 0;
    if (depth < 0) return false;
  }
  return depth === 0;
}

const referenced = (profile: string) =>
  new Set([...profile.matchAll(/\(param "([^"]*)"\)/g)].map((m) => m[1]));

/** What must hold for every plan: no path in the text, every parameter both referenced and defined. */
function expectSound(p: SandboxPlan) {
  const { profile, params } = macosProfile(p);
  for (const path of allPaths(p)) expect(profile).not.toContain(path);
  expect(balanced(profile)).toBe(true);
  expect(referenced(profile)).toEqual(new Set(Object.keys(params)));
  return { profile, params };
}

const sockets = (key: string) =>
  `(local unix-socket (subpath (param "${key}"))) (remote unix-socket (subpath (param "${key}")))`;

describe("macosProfile", () => {
  test("a typical plan: the rules in order, parents before children, every path a parameter", () => {
    const { profile, params } = expectSound(plan());
    expect(profile.split("\n")).toEqual([
      "(version 1)",
      "(allow default)",
      "(deny file-write*)",
      '(allow file-write* (literal "/dev/null") (literal "/dev/tty") (literal "/dev/stdout") (literal "/dev/stderr") ' +
        '(literal "/dev/dtracehelper") (subpath "/dev/fd") (subpath "/private/tmp") (subpath "/private/var/folders"))',
      "(deny network*)",
      '(deny file-read* file-write* (subpath (param "HIDDEN_0")))',
      `(deny network* ${sockets("HIDDEN_0")})`,
      '(deny file-read* file-write* (subpath (param "HIDDEN_1")))',
      `(deny network* ${sockets("HIDDEN_1")})`,
      '(allow file-read* file-write* (subpath (param "WRITABLE_0")))',
      `(allow network* ${sockets("WRITABLE_0")})`,
      // Deeper than the hidden DASH_HOME, so after it: the workspace stays usable.
      '(allow file-read* file-write* (subpath (param "WORKSPACE")))',
      `(allow network* ${sockets("WORKSPACE")})`,
      '(allow file-read-metadata (literal (param "DIR_0")))',
      '(allow file-read-metadata (literal (param "DIR_1")))',
      '(allow file-read-metadata (literal (param "DIR_2")))',
      '(deny process-exec file-read-data (literal (param "BLOCKED_0")))',
      "",
    ]);
    expect(params).toEqual({
      HIDDEN_0: "/Users/me/.dash",
      HIDDEN_1: "/Users/me/.ssh",
      WORKSPACE: "/Users/me/.dash/agents/a1/workspace",
      WRITABLE_0: "/Users/me/.npm",
      DIR_0: "/Users/me/.dash",
      DIR_1: "/Users/me/.dash/agents",
      DIR_2: "/Users/me/.dash/agents/a1",
      BLOCKED_0: "/usr/bin/curl",
    });
  });

  test("a hidden path inside a writable one comes after it, so it stays hidden", () => {
    const { profile } = expectSound(
      plan({ workspace: "/w", writable: ["/Users/me"], hidden: ["/Users/me/.ssh"] }),
    );
    const grant = profile.indexOf('(allow file-read* file-write* (subpath (param "WRITABLE_0")))');
    const hide = profile.indexOf('(deny file-read* file-write* (subpath (param "HIDDEN_0")))');
    expect(grant).toBeGreaterThan(0);
    expect(hide).toBeGreaterThan(grant);
    // Nothing kept lies inside a hidden path: no directory to give back.
    expect(profile).not.toContain("file-read-metadata");
  });

  test("directories are given back only strictly inside a hidden path, component by component", () => {
    const { params } = macosProfile(
      plan({
        workspace: "/a/b/c/ws",
        writable: ["/ab/c", "/a"],
        hidden: ["/a/b", "/a"],
        blockedExecutables: [],
      }),
    );
    // /a/b/c/ws is under both hidden paths (each directory once); /ab/c is not under /a; /a is /a itself.
    expect(Object.entries(params).filter(([key]) => key.startsWith("DIR_"))).toEqual([
      ["DIR_0", "/a/b"],
      ["DIR_1", "/a/b/c"],
      ["DIR_2", "/a"],
    ]);
  });

  test("the network is denied when off, and untouched when on", () => {
    expect(macosProfile(plan({ network: false })).profile).toContain("(deny network*)\n");
    const on = macosProfile(plan({ network: true })).profile;
    expect(on).not.toContain("(deny network*)");
    // Sockets inside hidden paths stay unreachable either way.
    expect(on).toContain(`(deny network* ${sockets("HIDDEN_0")})`);
  });

  test("a plan with nothing but a workspace", () => {
    const { profile, params } = expectSound(plan({ writable: [], hidden: [], blockedExecutables: [] }));
    expect(params).toEqual({ WORKSPACE: "/Users/me/.dash/agents/a1/workspace" });
    expect(profile).not.toContain("process-exec");
  });
});

describe("sandboxExecArgv", () => {
  const odd = '/Users/me/my "odd" (dir)\nwith spaces; #"x" \\';

  test("options, one -D per parameter, --, then the command unchanged", () => {
    const p = plan({ workspace: odd, hidden: [], blockedExecutables: [] });
    const argv = ["/opt/homebrew/bin/claude", "-p", "fix the tests"];
    const out = sandboxExecArgv(p, argv);
    const { profile, params } = macosProfile(p);
    expect(out).toEqual([
      SANDBOX_EXEC,
      "-p",
      profile,
      "-D",
      `WORKSPACE=${odd}`,
      "-D",
      "WRITABLE_0=/Users/me/.npm",
      "--",
      ...argv,
    ]);
    expect(params.WORKSPACE).toBe(odd);
    expect(profile).not.toContain(odd);
    // The odd path is in exactly one argument: its -D value.
    expect(out.filter((arg) => arg.includes(odd))).toEqual([`WORKSPACE=${odd}`]);
  });

  test("the program must be a name or a path, never empty nor an option", () => {
    expect(sandboxExecArgv(plan(), ["claude"]).at(-1)).toBe("claude");
    for (const argv of [[], [""], ["-c", "true"], ["--help"]]) {
      expect(() => sandboxExecArgv(plan(), argv)).toThrow("sandbox-exec needs a program");
    }
  });
});

test("property: no path of any plan is in the profile, and the profile stays well formed", () => {
  const char = fc.oneof(
    fc.constantFrom('"', "(", ")", "\n", " ", ";", "\\", "#", "/", "|"),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }),
  );
  // "Ü" never occurs in the (ASCII) profile, so any leaked path would show.
  const path = fc.string({ unit: char, maxLength: 20 }).map((s) => `/Ü${s}`);
  const plans = fc.record({
    sub: fc.string({ unit: char, maxLength: 10 }),
    writable: fc.array(path, { maxLength: 4 }),
    hidden: fc.array(path, { maxLength: 4 }),
    blockedExecutables: fc.array(path, { maxLength: 3 }),
    network: fc.boolean(),
  });
  fc.assert(
    fc.property(plans, ({ sub, ...rest }) => {
      // The workspace often inside a hidden path, as under DASH_HOME.
      const p: SandboxPlan = { workspace: `${rest.hidden[0] ?? "/Ü"}/${sub}`, ...rest };
      const { profile } = expectSound(p);
      expect(/^[\x20-\x7e\n]*$/.test(profile)).toBe(true);
      const argv = sandboxExecArgv(p, ["/bin/sh"]);
      for (const [key, value] of Object.entries(macosProfile(p).params))
        expect(argv).toContain(`${key}=${value}`);
    }),
  );
});
