import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DashError } from "../../src/domain/errors.ts";
import { bwrapArgv, sandboxed } from "../../src/safety/sandbox.ts";
import type { SandboxPlan } from "../../src/safety/sandbox-plan.ts";

/** The bwrap argv of a root server's agent, which runs as an unprivileged user (sandbox-as-user.ts). */

const T = realpathSync(mkdtempSync(join(tmpdir(), "dash-as-user-")));
const HOME = join(T, "dash-home");
const WORKSPACE = join(HOME, "workspaces", "s1", "a1");
mkdirSync(WORKSPACE, { recursive: true });
const USER = { name: "dash-agent", uid: 999, gid: 995 };

const plan = (parts: Partial<SandboxPlan> = {}): SandboxPlan => ({
  workspace: WORKSPACE,
  writable: [],
  hidden: [HOME],
  blockedExecutables: [],
  network: true,
  user: USER,
  ...parts,
});

describe("bwrapArgv for an agent user", () => {
  test("no user namespace (it would map the agent to uid 0), setpriv drops to the user before the agent", () => {
    const argv = bwrapArgv("bwrap", plan(), ["claude", "-p"], "/usr/bin/setpriv");
    expect(argv).not.toContain("--unshare-all");
    expect(argv).not.toContain("--unshare-user");
    expect(argv).toContain("--unshare-pid");
    const sep = argv.indexOf("--");
    expect(argv.slice(sep + 1, sep + 8)).toEqual([
      "/usr/bin/setpriv",
      "--reuid=999",
      "--regid=995",
      "--clear-groups",
      "--bounding-set=-all",
      "--inh-caps=-all",
      "--no-new-privs",
    ]);
    expect(argv.slice(-3)).toEqual(["--", "claude", "-p"]);
    // Only what setpriv needs survives bwrap's --cap-drop ALL.
    const added = argv.flatMap((arg, i) => (arg === "--cap-add" ? [argv[i + 1]] : []));
    expect(added).toEqual(["CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP"]);
  });

  test("its private /tmp is 1777 like the host's (bwrap would make it root's 0755)", () => {
    const argv = bwrapArgv("bwrap", plan(), ["x"]);
    const at = argv.indexOf("/tmp");
    expect(argv.slice(at - 3, at + 1)).toEqual(["--perms", "1777", "--tmpfs", "/tmp"]);
  });

  test("network off: its own net namespace; on: the host's", () => {
    expect(bwrapArgv("bwrap", plan({ network: false }), ["x"])).toContain("--unshare-net");
    expect(bwrapArgv("bwrap", plan(), ["x"])).not.toContain("--unshare-net");
  });

  test("the way to the workspace inside the hidden DASH_HOME is made 0711 before the bind below it", () => {
    const argv = bwrapArgv("bwrap", plan(), ["x"]);
    const tmpfs = argv.indexOf(HOME);
    const bind = argv.indexOf(WORKSPACE);
    for (const dir of [join(HOME, "workspaces"), join(HOME, "workspaces", "s1")]) {
      const at = argv.indexOf(dir);
      expect(argv.slice(at - 3, at)).toEqual(["--perms", "0711", "--dir"]);
      expect(at).toBeGreaterThan(tmpfs);
      expect(at).toBeLessThan(bind);
    }
    // The hidden directory itself is the tmpfs (0755): not made again.
    expect(argv.filter((arg) => arg === HOME)).toHaveLength(2); // --tmpfs HOME, --remount-ro HOME
  });

  test("a bind under a real directory (not an empty mount) gets no --dir", () => {
    // Outside /tmp and the hidden paths: the real /srv/data is what the agent walks through.
    const argv = bwrapArgv("bwrap", plan({ writable: ["/srv/data/deep"] }), ["x"]);
    expect(argv).toContain("/srv/data/deep");
    expect(argv).not.toContain("/srv/data");
    // Under /tmp (an empty tmpfs in the sandbox) the way is bwrap's to make.
    const inTmp = bwrapArgv("bwrap", plan({ writable: [join(T, "granted", "deep")] }), ["x"]);
    expect(inTmp.slice(inTmp.indexOf(join(T, "granted")) - 3)[0]).toBe("--perms");
  });

  test("without a user the argv is the unprivileged one", () => {
    const argv = bwrapArgv("bwrap", plan({ user: undefined }), ["x"]);
    expect(argv).toContain("--unshare-all");
    expect(argv).not.toContain("--perms");
  });
});

describe("sandboxed with an agent user", () => {
  test.if(process.platform === "linux" && Bun.which("bwrap") !== null)(
    "no setpriv on the search path: SANDBOX_UNAVAILABLE saying what to install",
    () => {
      const bwrapDir = join(T, "bin");
      mkdirSync(bwrapDir, { recursive: true });
      Bun.spawnSync(["ln", "-sf", Bun.which("bwrap") as string, join(bwrapDir, "bwrap")]);
      try {
        sandboxed(plan(), ["x"], bwrapDir, "linux");
        throw new Error("expected a refusal");
      } catch (error) {
        expect((error as DashError).code).toBe("SANDBOX_UNAVAILABLE");
        expect((error as DashError).message).toContain("setpriv");
      }
      const found = sandboxed(plan(), ["x"], `${bwrapDir}:/usr/bin:/bin`, "linux");
      expect(found.argv).toContain("--reuid=999");
    },
  );
});
