import { afterAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { DashError } from "../../src/domain/errors.ts";
import { assertNotBlocked, blockedExecutables, resolveProgram } from "../../src/safety/commands.ts";
import { components } from "../../src/safety/paths.ts";
import { bwrapArgv, probeBwrap, sandboxed } from "../../src/safety/sandbox.ts";
import { SANDBOX_EXEC } from "../../src/safety/sandbox-macos.ts";
import {
  defaultHidden,
  existing,
  grantedPaths,
  outermost,
  planSandbox,
  type SandboxPlan,
  type SandboxRequest,
  type SandboxSettings,
} from "../../src/safety/sandbox-plan.ts";

/**
 * Example-based tests of what an agent's sandbox allows (sandbox-plan.ts), the bwrap argv made of
 * it (sandbox.ts) and the blocked commands (commands.ts), on a real temp tree and the real bwrap.
 */

const T = realpathSync(mkdtempSync(join(tmpdir(), "dash-plan-")));
const HOME = `${T}/home`;
const DASH_HOME = `${HOME}/.dash`;
const WORKSPACE = `${DASH_HOME}/workspaces/s1/a1`;
const XDG = `${T}/xdg`;
const PATH = process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin";
const SH = realpathSync("/bin/sh");

for (const dir of [
  WORKSPACE,
  `${HOME}/.ssh`,
  `${HOME}/.aws`,
  `${HOME}/.npm`,
  `${XDG}/cache`,
  `${T}/grant/sub`,
]) {
  mkdirSync(dir, { recursive: true });
}
mkdirSync(`${T}/hide-me`);
mkdirSync(`${T}/workspace/auth`, { recursive: true });
mkdirSync(`${T}/workspace/auth-evil`, { recursive: true });
writeFileSync(`${T}/secret.txt`, "s");
symlinkSync(`${T}/grant`, `${T}/grant-link`);
symlinkSync(DASH_HOME, `${T}/dash-link`);
symlinkSync(WORKSPACE, `${T}/ws-link`);
symlinkSync(`${T}/workspace`, `${T}/roots-link`);

afterAll(() => rmSync(T, { recursive: true, force: true }));

const env = { HOME, XDG, PATH };
const settings = (over: Partial<SandboxSettings> = {}): SandboxSettings => ({
  protect: [DASH_HOME],
  hide: [],
  ...over,
});
const request = (over: Partial<SandboxRequest> = {}): SandboxRequest => ({
  workspace: WORKSPACE,
  runtimeWritable: [],
  network: false,
  env,
  ...over,
});

function refusal(fn: () => unknown): DashError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DashError) return error;
    throw error;
  }
  throw new Error("expected a DashError, got a result");
}

/** Where `seq` starts in `argv` (-1 when absent). */
function at(argv: string[], ...seq: string[]): number {
  for (let i = 0; i + seq.length <= argv.length; i++) {
    if (seq.every((token, j) => argv[i + j] === token)) return i;
  }
  return -1;
}

/** A script in a fresh temp dir, named `name`, made executable; its directory. */
function script(name: string, body: string): string {
  const dir = mkdtempSync(join(T, "bin-"));
  writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, name), 0o755);
  return dir;
}

// ---------------------------------------------------------------------------------------------
// planSandbox, grantedPaths, defaultHidden, existing
// ---------------------------------------------------------------------------------------------

describe("defaultHidden / existing", () => {
  test("system paths always, the credential dirs of HOME when there is one", () => {
    expect(defaultHidden(undefined)).toEqual(["/root", "/var/log", "/run", "/var/run"]);
    expect(defaultHidden("/home/me")).toEqual([
      "/root",
      "/var/log",
      "/run",
      "/var/run",
      "/home/me/.ssh",
      "/home/me/.gnupg",
      "/home/me/.aws",
      "/home/me/.docker",
      "/home/me/.kube",
    ]);
  });

  test("existing keeps what exists, realpath'd, without repeats", () => {
    expect(existing([`${T}/grant`, `${T}/grant-link`, `${T}/nope`, `${T}/grant/`])).toEqual([`${T}/grant`]);
    expect(existing([])).toEqual([]);
  });
});

describe("planSandbox", () => {
  test("hidden: DASH_HOME, the configured hides and the defaults, only those that exist", () => {
    const plan = planSandbox(settings({ hide: [`${T}/hide-me`, `${T}/no-such-dir`] }), request());
    const defaults = [
      ...new Set(
        ["/root", "/var/log", "/run", "/var/run"]
          .filter((path) => existsSync(path))
          .map((path) => realpathSync(path)),
      ),
    ];
    expect(plan.hidden).toEqual([...defaults, `${HOME}/.ssh`, `${HOME}/.aws`, DASH_HOME, `${T}/hide-me`]);
    expect(plan.hidden).not.toContain(`${HOME}/.gnupg`);
    expect(plan.hidden).not.toContain(`${T}/no-such-dir`);
  });

  test("hidden without HOME: no credential dirs; DASH_HOME given through a symlink is hidden as its realpath", () => {
    const plan = planSandbox(settings({ protect: [`${T}/dash-link`] }), request({ env: { PATH } }));
    expect(plan.hidden).toContain(DASH_HOME);
    expect(plan.hidden.some((path) => path.startsWith(`${HOME}/.`) && path !== DASH_HOME)).toBe(false);
  });

  test("runtime writable paths: expanded, non-existing skipped, over DASH_HOME dropped", () => {
    const plan = planSandbox(
      settings(),
      request({
        runtimeWritable: [
          "~/.npm",
          "$XDG/cache",
          `\${XDG}/cache/`, // a repeat (a variable in braces)
          "$XDG/missing",
          "$UNSET/x",
          "relative/dir",
          "~/.dash/workspaces", // inside DASH_HOME
          "~", // contains DASH_HOME
          `${T}/dash-link`, // DASH_HOME through a symlink
        ],
      }),
    );
    expect(plan.writable).toEqual([`${HOME}/.npm`, `${XDG}/cache`]);
  });

  test("a directory entry ('…/') is made when missing; ${VAR:-default} falls back; never inside DASH_HOME", () => {
    const plan = planSandbox(
      settings(),
      request({
        runtimeWritable: [
          "${CLI_HOME:-~/.cli-made}/",
          "${XDG:-~/.unused}/made-too/",
          "~/.not-a-dir.json",
          "${UNSET_DIR:-~/.dash}/sub/",
        ],
      }),
    );
    expect(plan.writable).toEqual([`${HOME}/.cli-made`, `${XDG}/made-too`]);
    expect(existsSync(`${HOME}/.cli-made`)).toBe(true);
    expect(existsSync(`${HOME}/.unused`)).toBe(false);
    expect(existsSync(`${HOME}/.not-a-dir.json`)).toBe(false);
    expect(existsSync(`${DASH_HOME}/sub`)).toBe(false);
  });

  test("workspace realpath'd, network and blocked executables carried over", () => {
    const plan = planSandbox(
      settings(),
      request({ workspace: `${T}/ws-link`, network: true, blockedCommands: ["sh", "no-such-command-xyz"] }),
    );
    expect(plan.workspace).toBe(WORKSPACE);
    expect(plan.network).toBe(true);
    expect(plan.blockedExecutables).toEqual([SH]);
    expect(planSandbox(settings(), request()).blockedExecutables).toEqual([]);
  });

  test("allowedPaths are validated again and come first, without repeats", () => {
    const plan = planSandbox(
      settings(),
      request({ allowedPaths: [`${T}/grant`, `${T}/grant/sub`], runtimeWritable: [`${T}/grant`, "~/.npm"] }),
    );
    expect(plan.writable).toEqual([`${T}/grant`, `${T}/grant/sub`, `${HOME}/.npm`]);

    const cases: [string[], Partial<SandboxSettings>][] = [
      [[`${T}/grant`, `${T}/grant-link`], {}], // a symlink
      [[`${T}/grant/../grant`], {}], // ..
      [[`${DASH_HOME}/workspaces`], {}], // inside DASH_HOME
      [[`${T}/dash-link`], {}],
      [[HOME], {}], // contains DASH_HOME
      [["grant"], {}], // relative
      [[`${T}/workspace/auth-evil`], { allowedRoots: [`${T}/workspace/auth`] }], // a look-alike of a root
    ];
    for (const [allowedPaths, over] of cases) {
      const error = refusal(() => planSandbox(settings(over), request({ allowedPaths })));
      expect(error.code).toBe("VALIDATION_ERROR");
      const bad = allowedPaths.length - 1;
      expect(error.details).toEqual({ field: `config.allowedPaths[${bad}]`, path: allowedPaths[bad] });
      expect(error.message).toContain(allowedPaths[bad] as string);
    }
  });
});

describe("grantedPaths", () => {
  test("undefined stays undefined; paths come back realpath'd", () => {
    expect(grantedPaths(undefined, settings())).toBeUndefined();
    expect(grantedPaths([], settings())).toEqual([]);
    expect(grantedPaths([`${T}/grant/./sub/`], settings())).toEqual([`${T}/grant/sub`]);
  });

  test("a credential dir, anything in it or above it, and the home itself are never granted; a folder in the home is", () => {
    mkdirSync(`${HOME}/.ssh/keys`, { recursive: true });
    for (const path of [`${HOME}/.ssh`, `${HOME}/.ssh/keys`, `${HOME}/.aws`]) {
      expect(refusal(() => grantedPaths([path], settings(), HOME)).message).toContain(
        "which agents may not see",
      );
    }
    const hiding = settings({ hide: [`${T}/grant`] });
    expect(refusal(() => grantedPaths([`${T}/grant/sub`], hiding, HOME)).message).toContain(`${T}/grant`);
    // Above a hidden path: the grant would bring it back into view (issue 24).
    const hidingOnly = settings({ protect: [], hide: [`${T}/grant`] });
    expect(refusal(() => grantedPaths([T], hidingOnly, HOME)).message).toContain("which agents may not see");
    expect(refusal(() => grantedPaths([HOME], settings({ protect: [] }), HOME)).message).toContain(
      `contains ${HOME}/.ssh, which agents may not see`,
    );
    // A home without a HOME of the server's own (another user's) is still a hidden container.
    expect(refusal(() => grantedPaths(["/root"], settings({ protect: [] }), HOME)).message).toContain(
      "is or contains /root",
    );
    expect(refusal(() => grantedPaths([dirname(HOME)], settings({ protect: [] }), HOME)).message).toContain(
      "which agents may not see",
    );
    // A fresh home with no ~/.ssh yet is refused all the same: the agent could create one.
    rmSync(`${HOME}/.ssh`, { recursive: true, force: true });
    expect(refusal(() => grantedPaths([HOME], settings({ protect: [] }), HOME)).code).toBe(
      "VALIDATION_ERROR",
    );
    mkdirSync(`${HOME}/repo`, { recursive: true });
    expect(grantedPaths([`${HOME}/repo`], settings({ protect: [] }), HOME)).toEqual([`${HOME}/repo`]);
  });

  test("a runtime's writable path over a credential folder (existing or not) is not bound", () => {
    const plan = planSandbox(settings({ protect: [] }), {
      ...request(),
      runtimeWritable: ["~/", "~/.config-of-cli/"],
      env: { HOME, PATH },
    });
    expect(plan.writable).not.toContain(HOME);
    expect(plan.writable).toContain(`${HOME}/.config-of-cli`);
  });

  test("a hidden path inside another hidden directory is not mounted again (its name would show)", () => {
    mkdirSync(`${T}/dash-home-nested`, { recursive: true });
    writeFileSync(`${T}/dash-home-nested/dash.db`, "");
    const plan = planSandbox(
      settings({ protect: [`${T}/dash-home-nested`, `${T}/dash-home-nested/dash.db`] }),
      request(),
    );
    expect(plan.hidden).toContain(`${T}/dash-home-nested`);
    expect(plan.hidden).not.toContain(`${T}/dash-home-nested/dash.db`);
    expect(outermost(["/a", "/a/b", "/c", "/ab"])).toEqual(["/a", "/c", "/ab"]);
  });

  test("protect and allowedRoots are compared as realpaths", () => {
    // DASH_HOME configured through a symlink still protects the real directory.
    const viaLink = settings({ protect: [`${T}/dash-link`] });
    expect(refusal(() => grantedPaths([WORKSPACE], viaLink)).code).toBe("VALIDATION_ERROR");
    // A root configured through a symlink admits the real paths below it, and no look-alike.
    const roots = settings({ allowedRoots: [`${T}/roots-link/auth`] });
    expect(grantedPaths([`${T}/workspace/auth`], roots)).toEqual([`${T}/workspace/auth`]);
    const error = refusal(() => grantedPaths([`${T}/workspace/auth-evil`], roots));
    expect(error.message).toContain("outside the allowed roots");
    // A protected path that does not exist yet is compared in its normal form.
    const notYet = settings({ protect: [`${T}/grant/sub/../later/`] });
    expect(grantedPaths([`${T}/grant/sub`], notYet)).toEqual([`${T}/grant/sub`]);
    expect(refusal(() => grantedPaths([`${T}/grant`], notYet)).code).toBe("VALIDATION_ERROR");
  });
});

// ---------------------------------------------------------------------------------------------
// bwrapArgv
// ---------------------------------------------------------------------------------------------

const plan = (over: Partial<SandboxPlan> = {}): SandboxPlan => ({
  workspace: WORKSPACE,
  writable: [HOME],
  hidden: [DASH_HOME, `${HOME}/.ssh`, `${T}/secret.txt`, `${T}/gone`],
  blockedExecutables: [SH],
  network: false,
  ...over,
});

/** The mount targets of a bwrap argv, in order, from after `--proc /proc` to `--chdir`. */
function mountTargets(argv: string[]): { flag: string; path: string }[] {
  const out: { flag: string; path: string }[] = [];
  let i = at(argv, "--proc", "/proc") + 2;
  while (i < argv.length && argv[i] !== "--chdir") {
    const flag = argv[i] as string;
    if (flag === "--bind" || flag === "--ro-bind") {
      out.push({ flag, path: argv[i + 2] as string });
      i += 3;
    } else if (flag === "--tmpfs") {
      out.push({ flag, path: argv[i + 1] as string });
      i += 2;
    } else {
      i += 2; // --remount-ro <path> and the like: not a mount
    }
  }
  return out;
}

describe("bwrapArgv", () => {
  const argv = bwrapArgv("/usr/bin/bwrap", plan(), ["my-agent", "--flag", "--", "x"]);

  test("the read-only root, /dev, /proc first; the agent's argv last, after --", () => {
    expect(argv.slice(0, 8)).toEqual([
      "/usr/bin/bwrap",
      "--ro-bind",
      "/",
      "/",
      "--dev",
      "/dev",
      "--proc",
      "/proc",
    ]);
    const end = argv.lastIndexOf("--", argv.length - 3);
    expect(argv.slice(end)).toEqual(["--", "my-agent", "--flag", "--", "x"]);
    expect(argv.indexOf("--")).toBe(end);
    expect(at(argv, "--chdir", WORKSPACE)).toBeGreaterThan(0);
  });

  test("isolation flags; no network unless asked", () => {
    for (const flag of ["--unshare-all", "--die-with-parent", "--new-session"]) expect(argv).toContain(flag);
    expect(at(argv, "--cap-drop", "ALL")).toBeGreaterThan(0);
    expect(argv).not.toContain("--share-net");
    const withNet = bwrapArgv("/usr/bin/bwrap", plan({ network: true }), ["a"]);
    expect(withNet.indexOf("--share-net")).toBeGreaterThan(withNet.indexOf("--unshare-all"));
    // Every flag comes before the agent's argv.
    const dd = withNet.indexOf("--");
    for (const flag of ["--unshare-all", "--share-net", "--die-with-parent", "--new-session", "--cap-drop"]) {
      expect(withNet.indexOf(flag)).toBeLessThan(dd);
    }
  });

  test("a private /tmp; hidden dirs become a tmpfs, hidden files and blocked executables /dev/null", () => {
    expect(at(argv, "--tmpfs", "/tmp")).toBeGreaterThan(0);
    expect(at(argv, "--tmpfs", DASH_HOME)).toBeGreaterThan(0);
    expect(at(argv, "--tmpfs", `${HOME}/.ssh`)).toBeGreaterThan(0);
    expect(at(argv, "--ro-bind", "/dev/null", `${T}/secret.txt`)).toBeGreaterThan(0);
    expect(at(argv, "--ro-bind", "/dev/null", SH)).toBeGreaterThan(0);
    // A hidden path that is gone by now is still covered (as a directory).
    expect(at(argv, "--tmpfs", `${T}/gone`)).toBeGreaterThan(0);
    expect(at(argv, "--bind", WORKSPACE, WORKSPACE)).toBeGreaterThan(0);
    expect(at(argv, "--bind", HOME, HOME)).toBeGreaterThan(0);
  });

  test("a writable path inside a hidden dir is bound after its tmpfs", () => {
    expect(at(argv, "--bind", WORKSPACE, WORKSPACE)).toBeGreaterThan(at(argv, "--tmpfs", DASH_HOME));
  });

  test("a hidden dir inside a writable path is mounted after the bind", () => {
    expect(at(argv, "--tmpfs", `${HOME}/.ssh`)).toBeGreaterThan(at(argv, "--bind", HOME, HOME));
    expect(at(argv, "--tmpfs", DASH_HOME)).toBeGreaterThan(at(argv, "--bind", HOME, HOME));
  });

  test("generated plans: mounts in order of depth, each one present", () => {
    const part = fc.constantFrom("a", "b", "auth", "auth-evil");
    const path = fc.array(part, { minLength: 1, maxLength: 4 }).map((parts) => `${T}/gen/${parts.join("/")}`);
    const plans = fc.record({
      workspace: path,
      writable: fc.array(path, { maxLength: 3 }),
      hidden: fc.array(path, { maxLength: 3 }),
      blockedExecutables: fc.array(path, { maxLength: 2 }),
      network: fc.boolean(),
    });
    fc.assert(
      fc.property(plans, (p) => {
        const targets = mountTargets(bwrapArgv("bwrap", p, ["a"]));
        const depths = targets.map((t) => components(t.path).length);
        for (let i = 1; i < depths.length; i++)
          expect(depths[i]).toBeGreaterThanOrEqual(depths[i - 1] as number);
        const paths = targets.map((t) => t.path);
        for (const q of [p.workspace, ...p.writable, ...p.hidden, ...p.blockedExecutables])
          expect(paths).toContain(q);
        // A writable path is bound after every hidden dir that contains it.
        for (const w of [p.workspace, ...p.writable]) {
          const bound = targets.findLastIndex((t) => t.flag === "--bind" && t.path === w);
          for (const h of p.hidden.filter((h) => w.startsWith(`${h}/`))) {
            expect(bound).toBeGreaterThan(targets.findIndex((t) => t.path === h));
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// sandboxed, probeBwrap (the real bwrap at /usr/bin/bwrap, and fakes)
// ---------------------------------------------------------------------------------------------

describe("sandboxed", () => {
  const argv = ["my-agent", "run"];

  test("no plan: unconfined, argv unchanged", () => {
    expect(sandboxed(null, argv, PATH)).toEqual({ argv, kind: "off" });
    expect(sandboxed(null, argv, undefined, "freebsd").argv).toBe(argv);
  });

  test("darwin: sandbox-exec", () => {
    const launch = sandboxed(plan({ hidden: [DASH_HOME] }), argv, PATH, "darwin");
    expect(launch.kind).toBe("sandbox-exec");
    expect(launch.argv[0]).toBe(SANDBOX_EXEC);
    expect(launch.argv.slice(-3)).toEqual(["--", ...argv]);
  });

  test("another platform: SANDBOX_UNAVAILABLE", () => {
    const error = refusal(() => sandboxed(plan(), argv, PATH, "freebsd"));
    expect(error.code).toBe("SANDBOX_UNAVAILABLE");
    expect(error.message).toContain("freebsd");
    expect(error.message).toContain("fileSandbox: false");
  });

  test("no bwrap on the search path: SANDBOX_UNAVAILABLE with how to install it", () => {
    const empty = mkdtempSync(join(T, "empty-"));
    for (const searchPath of [empty, undefined, ""]) {
      const error = refusal(() => sandboxed(plan(), argv, searchPath, "linux"));
      expect(error.code).toBe("SANDBOX_UNAVAILABLE");
      expect(error.message).toContain("apt-get install bubblewrap");
    }
  });

  test("a bwrap that cannot make a sandbox: SANDBOX_UNAVAILABLE with its reason", () => {
    const dir = script("bwrap", 'echo "bwrap: No permissions to create new namespace" >&2; exit 1');
    const error = refusal(() => sandboxed(plan(), argv, dir, "linux"));
    expect(error.code).toBe("SANDBOX_UNAVAILABLE");
    expect(error.message).toContain("No permissions to create new namespace");
    expect(error.message).toContain("allow unprivileged user namespaces");
  });

  test("the real bwrap: kind bwrap, its argv", () => {
    const launch = sandboxed(plan(), argv, "/usr/bin", "linux");
    expect(launch.kind).toBe("bwrap");
    expect(launch.argv[0]).toBe("/usr/bin/bwrap");
    expect(launch.argv.slice(-3)).toEqual(["--", ...argv]);
  });

  test("the real bwrap runs the plan: workspace writable, hidden dir empty, the rest read-only", () => {
    // Outside /tmp, which the sandbox replaces with a private tmpfs of its own.
    const out = mkdtempSync("/var/tmp/dash-plan-run-");
    try {
      const ws = `${out}/hidden/ws`;
      mkdirSync(ws, { recursive: true });
      writeFileSync(`${out}/hidden/secret`, "s");
      const p: SandboxPlan = {
        workspace: ws,
        writable: [],
        hidden: [`${out}/hidden`],
        blockedExecutables: [realpathSync("/bin/cat")],
        network: false,
      };
      const check = [
        "echo hi > out.txt",
        `test -e ${out}/hidden/secret && echo secret=seen || echo secret=hidden`,
        `(echo x > ${out}/escape) 2>/dev/null && echo outside=written || echo outside=denied`,
        "cat /dev/null 2>/dev/null && echo cat=ran || echo cat=blocked",
      ].join("; ");
      const run = Bun.spawnSync(sandboxed(p, ["/bin/sh", "-c", check], "/usr/bin", "linux").argv, {
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(run.stdout.toString()).toBe("secret=hidden\noutside=denied\ncat=blocked\n");
      expect(readFileSync(`${ws}/out.txt`, "utf8")).toBe("hi\n");
      expect(existsSync(`${out}/escape`)).toBe(false);
      expect(readFileSync(`${out}/hidden/secret`, "utf8")).toBe("s");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe("probeBwrap", () => {
  test("the real bwrap can make a sandbox here", () => {
    expect(probeBwrap("/usr/bin/bwrap")).toBeNull();
  });

  test("a failing bwrap: its message, probed again next time (only success is cached)", () => {
    const dir = script("bwrap", 'echo "  bwrap: setting up uid map: Permission denied  " >&2; exit 1');
    const bwrap = join(dir, "bwrap");
    expect(probeBwrap(bwrap)).toBe("bwrap: setting up uid map: Permission denied");
    // Fixed on disk (namespaces allowed now): the next launch finds it working, and keeps that.
    writeFileSync(bwrap, "#!/bin/sh\nexit 0\n");
    expect(probeBwrap(bwrap)).toBeNull();
    writeFileSync(bwrap, "#!/bin/sh\nexit 1\n");
    expect(probeBwrap(bwrap)).toBeNull();
  });

  test("a silent failure: its exit code", () => {
    const dir = script("bwrap", "exit 3");
    expect(probeBwrap(join(dir, "bwrap"))).toBe("bwrap exited with 3");
  });

  test("a fake that succeeds is taken", () => {
    const dir = script("bwrap", "exit 0");
    expect(probeBwrap(join(dir, "bwrap"))).toBeNull();
    expect(sandboxed(plan(), ["a"], dir, "linux").argv[0]).toBe(join(dir, "bwrap"));
  });
});

// ---------------------------------------------------------------------------------------------
// commands.ts
// ---------------------------------------------------------------------------------------------

describe("blocked commands", () => {
  const aliases = mkdtempSync(join(T, "aliases-"));
  symlinkSync("/bin/sh", join(aliases, "mysh"));
  const withAliases = `${aliases}:${PATH}`;

  function expectForbidden(
    program: string,
    blocked: string[],
    searchPath: string | undefined = PATH,
  ): DashError {
    const error = refusal(() => assertNotBlocked(program, blocked, searchPath));
    expect(error.code).toBe("FORBIDDEN");
    expect(error.message).toContain(program);
    expect(error.details).toEqual({ field: "config.blockedCommands", command: program });
    return error;
  }

  test("resolveProgram: PATH lookup, then realpath; null when not found", () => {
    expect(resolveProgram("sh", PATH)).toBe(SH);
    expect(resolveProgram("/bin/sh", undefined)).toBe(SH);
    expect(resolveProgram("mysh", withAliases)).toBe(SH);
    expect(resolveProgram("mysh", PATH)).toBeNull();
    expect(resolveProgram("no-such-command-xyz", PATH)).toBeNull();
    expect(resolveProgram("sh", undefined)).toBeNull();
  });

  test("refused by bare name", () => {
    expect(expectForbidden("sh", ["sh"]).message).toContain("(sh)");
    expectForbidden("sh", ["sh"], undefined); // not on any PATH: still refused by its name
    expectForbidden("/nowhere/sh", ["sh"]);
  });

  test("refused by absolute path, both ways", () => {
    expectForbidden("/bin/sh", ["sh"]);
    expectForbidden("sh", ["/bin/sh"]);
    expectForbidden(SH, ["sh"]);
    expectForbidden("sh", [SH]);
  });

  test("refused through a symlink or alias", () => {
    expect(expectForbidden("mysh", ["sh"], withAliases).message).toContain("mysh");
    expectForbidden(join(aliases, "mysh"), ["sh"]);
    expectForbidden("sh", ["mysh"], withAliases);
  });

  test("unblocked programs pass", () => {
    expect(() => assertNotBlocked("sh", undefined, PATH)).not.toThrow();
    expect(() => assertNotBlocked("sh", [], PATH)).not.toThrow();
    expect(() => assertNotBlocked("no-such-command-xyz", ["sh"], PATH)).not.toThrow();
    expect(() => assertNotBlocked("shx", ["sh"], PATH)).not.toThrow();
    if (realpathSync(Bun.which("ls") ?? "/bin/ls") !== SH) {
      expect(() => assertNotBlocked("ls", ["sh", "no-such-command-xyz"], PATH)).not.toThrow();
    }
  });

  test("blockedExecutables: real paths, unknown names skipped, no repeats", () => {
    expect(blockedExecutables(undefined, PATH)).toEqual([]);
    expect(blockedExecutables(["sh", "/bin/sh", "no-such-command-xyz"], PATH)).toEqual([SH]);
    expect(blockedExecutables(["mysh"], withAliases)).toEqual([SH]);
    expect(blockedExecutables(["sh"], undefined)).toEqual([]);
  });
});

describe("process groups", () => {
  test("group 0, 1 and -0 are never signalled: they would reach the caller's group or every process", async () => {
    const { groupAlive, killGroup, signalGroup } = await import("../../src/runtimes/process.ts");
    for (const pid of [0, 1, -5, Number.NaN]) {
      expect(signalGroup(pid, "SIGCONT")).toBe(false);
      expect(groupAlive(pid)).toBe(false);
      await killGroup(pid, 10);
    }
  });
});
