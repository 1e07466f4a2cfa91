import { describe, expect, test } from "bun:test";
import { agentUser, createSystemUser, lookupUser } from "../../src/safety/agent-user.ts";
import { refusal } from "../helpers.ts";

/** Who a root server's agents run as (safety/agent-user.ts), on this machine's real users. */

const ROOT = process.getuid?.() === 0 && process.platform === "linux";

describe("agentUser", () => {
  test("a server that is not root: agents run as its own user (null)", () => {
    expect(agentUser("dash-agent", 1000)).toBeNull();
    expect(agentUser(undefined, 501)).toBeNull();
  });

  test.if(ROOT)("uid[:gid] is taken as it is", () => {
    expect(agentUser("4321:8765", 0)).toEqual({ name: "4321:8765", uid: 4321, gid: 8765 });
    expect(agentUser("4322", 0)).toEqual({ name: "4322", uid: 4322, gid: 4322 });
  });

  test.if(ROOT)("root, by name or number, is refused: agents never run as uid 0", () => {
    for (const name of ["root", "0", "0:0"]) {
      const error = refusal(() => agentUser(name, 0));
      expect(error.code).toBe("SANDBOX_UNAVAILABLE");
      expect(error.message).toContain("uid 0");
    }
  });

  test.if(ROOT)("a named user that does not exist is refused, with how to make it", () => {
    const error = refusal(() => agentUser("no-such-user-here", 0));
    expect(error.message).toContain("does not exist");
    expect(error.message).toContain("useradd --system no-such-user-here");
  });

  test.if(ROOT)(
    "the default: dash-agent, made on first need, an unprivileged user; the same next time",
    () => {
      const user = agentUser(undefined, 0);
      expect(user?.name).toBe("dash-agent");
      expect(user?.uid).toBeGreaterThan(0);
      expect(lookupUser("dash-agent")).toEqual(user);
      expect(agentUser("dash-agent", 0)).toBe(user);
    },
  );
});

describe("lookupUser and createSystemUser", () => {
  test("a real user and a missing one", () => {
    expect(lookupUser("root")).toEqual({ name: "root", uid: 0, gid: 0 });
    expect(lookupUser("no-such-user-here")).toBeNull();
  });

  test.if(ROOT)("a system user with its own group and no login is created", () => {
    const name = `dash-t${process.pid % 100000}`;
    try {
      expect(createSystemUser(name)).toBe(true);
      const user = lookupUser(name);
      expect(user?.uid).toBeGreaterThan(0);
      const entry = Bun.spawnSync(["getent", "passwd", name]).stdout.toString();
      expect(entry).toContain("nologin");
    } finally {
      Bun.spawnSync(["userdel", name]);
    }
  });
});
