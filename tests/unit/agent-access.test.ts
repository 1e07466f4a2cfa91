import { afterAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { DashError } from "../../src/domain/errors.ts";
import { openPlanTo } from "../../src/safety/agent-access.ts";
import type { SandboxPlan } from "../../src/safety/sandbox-plan.ts";

/**
 * What a root server does to the host's files so its unprivileged agents can use their plan
 * (safety/agent-access.ts): real files, real setfacl, and `nobody` as the agents' user. The tree
 * is in /var/tmp: under /tmp (an empty tmpfs in the sandbox) the directories above are not real.
 */

const ROOT = process.getuid?.() === 0 && process.platform === "linux" && Bun.which("setfacl") !== null;
const NOBODY = { name: "nobody", uid: 65534, gid: 65534 };
const T = mkdtempSync("/var/tmp/dash-access-"); // mode 0700, root's: the agent cannot pass it

afterAll(() => rmSync(T, { recursive: true, force: true }));

const acl = (path: string) => Bun.spawnSync(["getfacl", "-p", "-c", path]).stdout.toString();

function plan(parts: Partial<SandboxPlan>): SandboxPlan {
  return {
    workspace: join(T, "ws"),
    writable: [],
    hidden: [],
    blockedExecutables: [],
    network: false,
    ...parts,
  };
}

describe.if(ROOT)("openPlanTo (as root)", () => {
  test("the workspace becomes the agent's, symlinks changed, never followed", () => {
    const ws = join(T, "ws");
    mkdirSync(join(ws, "sub"), { recursive: true });
    writeFileSync(join(ws, "sub", "seeded.txt"), "x");
    writeFileSync(join(T, "outside.txt"), "root's");
    symlinkSync(join(T, "outside.txt"), join(ws, "link"));
    openPlanTo(NOBODY, plan({ workspace: ws }), [ws]);
    for (const path of [ws, join(ws, "sub"), join(ws, "sub", "seeded.txt")])
      expect(statSync(path).uid).toBe(65534);
    expect(lstatSync(join(ws, "link")).uid).toBe(65534);
    expect(statSync(join(T, "outside.txt")).uid).toBe(0);
    // The directory above the workspace can be passed, not listed.
    expect(acl(T)).toContain("user:nobody:--x");
  });

  test("a granted tree keeps its owner and gets rwX for the uid, by default on new files too", () => {
    const granted = join(T, "granted");
    mkdirSync(join(granted, "deep"), { recursive: true });
    writeFileSync(join(granted, "deep", "f"), "x");
    chmodSync(join(granted, "deep", "f"), 0o600);
    const file = join(T, "config.json");
    writeFileSync(file, "{}");
    openPlanTo(NOBODY, plan({ writable: [granted, file] }), []);
    expect(statSync(granted).uid).toBe(0);
    expect(acl(join(granted, "deep", "f"))).toContain("user:nobody:rw-");
    expect(acl(join(granted, "deep"))).toContain("default:user:nobody:rwx");
    expect(acl(file)).toContain("user:nobody:rw-");
    // A second attempt does not walk the tree again (an entry removed stays removed).
    Bun.spawnSync(["setfacl", "-x", "u:65534", join(granted, "deep", "f")]);
    openPlanTo(NOBODY, plan({ writable: [granted] }), []);
    expect(acl(join(granted, "deep", "f"))).not.toContain("user:nobody");
  });

  test("a read-only path the uid cannot read gets r-x; one it can is left alone", () => {
    const closed = join(T, "closed");
    const open = join(T, "open");
    mkdirSync(closed, { mode: 0o700 });
    mkdirSync(open, { mode: 0o755 });
    chmodSync(open, 0o755);
    openPlanTo(NOBODY, plan({ readable: [closed, open] }), []);
    expect(acl(closed)).toContain("user:nobody:r-x");
    expect(acl(open)).not.toContain("user:nobody");
  });

  test("directories under an empty mount (/tmp, a hidden one) are not touched", () => {
    const hidden = join(T, "hidden");
    const inside = join(hidden, "inner", "ws");
    mkdirSync(inside, { recursive: true });
    chmodSync(join(hidden, "inner"), 0o700);
    openPlanTo(NOBODY, plan({ workspace: inside, hidden: [hidden] }), [inside]);
    expect(statSync(inside).uid).toBe(65534);
    expect(acl(join(hidden, "inner"))).not.toContain("user:nobody");
  });

  test("no setfacl: SANDBOX_UNAVAILABLE saying what to install", () => {
    const path = process.env.PATH;
    const other = join(T, "other");
    mkdirSync(other);
    process.env.PATH = "/nonexistent";
    try {
      openPlanTo(NOBODY, plan({ writable: [other] }), []);
      throw new Error("expected a refusal");
    } catch (error) {
      expect((error as DashError).code).toBe("SANDBOX_UNAVAILABLE");
      expect((error as DashError).message).toContain("apt-get install acl");
    } finally {
      process.env.PATH = path;
    }
  });
});
