import { afterAll, describe, expect, test } from "bun:test";
import { realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { main } from "../../src/cli/index.ts";
import { EXIT, runCli } from "../../src/cli/run.ts";
import { resolveConnection } from "../../src/client/connection.ts";
import { testServer } from "../api-helpers.ts";
import { inProcessCli } from "../cli-helpers.ts";

// The client nouns in-process against a real server on a loopback port (e2e runs the binary).
const api = await testServer();
afterAll(() => api.close());
const url = api.server.url.origin;
const { home, dash, dashJson, stderr, clearStderr } = inProcessCli(url, api.keys.admin);

describe("dash swarm create: the sandbox flags", () => {
  test("--allow (relative paths resolved), --block, --no-sandbox, --no-network reach the swarm's config", async () => {
    const before = process.cwd();
    process.chdir(home.dir);
    try {
      const swarm = await dashJson<{ id: string }>([
        "swarm",
        "create",
        "boxed",
        "--task",
        "t",
        "--allow",
        ".,/var/tmp",
        "--block",
        "curl, git",
        "--no-network",
      ]);
      const config = (await api.t.store.getSwarm(swarm.id))?.config;
      expect(config).toMatchObject({ fileSandbox: true, network: false, blockedCommands: ["curl", "git"] });
      expect(config?.allowedPaths).toEqual([realpathSync(home.dir), realpathSync("/var/tmp")]);
      const open = await dashJson<{ id: string }>(["swarm", "create", "open", "--task", "t", "--no-sandbox"]);
      expect((await api.t.store.getSwarm(open.id))?.config).toMatchObject({
        fileSandbox: false,
        network: true,
      });
      const [code] = await dash(["swarm", "create", "bad", "--task", "t", "--allow", "/no/such/dir"]);
      expect(code).toBe(EXIT.usage);
      expect(stderr()).toContain('config.allowedPaths[0] "/no/such/dir" does not exist');
    } finally {
      process.chdir(before);
    }
  });
});

describe("dash swarm create --repo", () => {
  test("--repo . (resolved) and --base reach the config as the repository's top and the base commit", async () => {
    const before = process.cwd();
    const repo = join(home.dir, "repo");
    const git = (...args: string[]) =>
      Bun.spawnSync(["git", ...args], { cwd: repo })
        .stdout.toString()
        .trim();
    Bun.spawnSync(["mkdir", "-p", join(repo, "sub")]);
    git("init", "-q", "-b", "main");
    git("-c", "user.name=T", "-c", "user.email=t@e", "commit", "-q", "--allow-empty", "-m", "one");
    process.chdir(join(repo, "sub"));
    try {
      const args = [
        "swarm",
        "create",
        "wt",
        "--task",
        "t",
        "--repo",
        "..",
        "--base",
        "main",
        "--key",
        api.keys.admin,
      ];
      const swarm = await dashJson<{ id: string }>(args);
      expect((await api.t.store.getSwarm(swarm.id))?.config).toMatchObject({
        repo: realpathSync(repo),
        baseRef: git("rev-parse", "HEAD"),
      });
      // dash agent diff: an agent whose branch exists and holds nothing new yet.
      const [agent] = await api.t.store.listAgents({ swarmId: swarm.id });
      git("branch", `dash/wt/${agent?.name}`, "HEAD");
      const [code, text] = await dash(["agent", "diff", agent?.id ?? ""], api.keys.read);
      expect([code, text.trim()]).toEqual([EXIT.ok, `no changes on dash/wt/${agent?.name}`]);
      const json = await dashJson<{ branch: string; diff: string }>([
        "agent",
        "diff",
        agent?.id ?? "",
        "--key",
        api.keys.read,
      ]);
      expect(json).toMatchObject({ branch: `dash/wt/${agent?.name}`, diff: "" });
    } finally {
      process.chdir(before);
    }
  });
});

describe("dash swarm / agent / budget / keys / tree", () => {
  test("swarm create --json, list, show, scale, pause, resume, destroy", async () => {
    const swarm = await dashJson<{ id: string; agentCount: number; budget: { allocated: number } }>([
      "swarm",
      "create",
      "alpha",
      "--task",
      "Write tests",
      "--agents",
      "3",
      "--budget",
      "20",
      "--model",
      "m1",
    ]);
    expect(swarm).toMatchObject({ agentCount: 3, budget: { allocated: 20 } });
    const [, listed] = await dash(["swarm", "list"]);
    expect(listed).toMatch(new RegExp(`${swarm.id}\\s+alpha\\s+active\\s+3\\s+\\$0\\.00 / \\$20\\.00`));
    expect((await dash(["swarm", "show", swarm.id]))[1]).toContain("task:     Write tests");
    expect((await dash(["swarm", "scale", swarm.id, "5"]))[1]).toContain("5 agents");
    expect((await dash(["swarm", "pause", swarm.id]))[1]).toContain("Paused swarm alpha");
    expect((await dash(["swarm", "resume", swarm.id]))[1]).toContain("active");
    const destroyed = await dashJson<{ status: string }>(["swarm", "destroy", swarm.id]);
    expect(destroyed.status).toBe("destroyed");
    expect(
      (await dashJson<{ swarms: unknown[] }>(["swarm", "list", "--status", "destroyed"])).swarms,
    ).toHaveLength(1);
  });

  test("agent spawn, list, show, pause refused, kill; tree nests children under parents", async () => {
    const swarm = await dashJson<{ id: string }>(["swarm", "create", "tree", "--task", "t"]);
    const [root] = (await dashJson<{ agents: { id: string }[] }>(["agent", "list", "--swarm", swarm.id]))
      .agents;
    const child = await dashJson<{ id: string; parentId: string }>([
      "agent",
      "spawn",
      "--swarm",
      swarm.id,
      "--parent",
      root?.id ?? "",
      "--name",
      "child",
    ]);
    expect(child.parentId).toBe(root?.id ?? "");
    expect((await dash(["agent", "list", "--swarm", swarm.id, "--limit", "1"]))[1].split("\n")).toHaveLength(
      2,
    );
    expect((await dash(["agent", "show", child.id]))[1]).toContain(`parent: ${root?.id}`);
    const [tree] = [(await dash(["tree", "--swarm", swarm.id]))[1]];
    expect(tree).toMatch(/└─ tree-1 .*\n {3}└─ child /);
    expect((await dash(["agent", "pause", child.id]))[0]).toBe(EXIT.failure);
    expect(stderr()).toContain("cannot go from idle to paused");
    expect((await dashJson<{ status: string }>(["agent", "kill", child.id])).status).toBe("killed");
    const [, spawned] = await dash(["agent", "spawn", "--swarm", swarm.id, "--name", "extra"]);
    expect(spawned).toMatch(/^✓ Spawned agent extra \S+: idle$/);
    const extra = (spawned.split(" ")[4] ?? "").replace(/:$/, "");
    expect((await dash(["agent", "kill", extra]))[1]).toBe(`✓ Killed agent extra ${extra}: killed`);
  });

  test("budget show and allocate; keys create, list, revoke", async () => {
    const swarm = await dashJson<{ id: string }>([
      "swarm",
      "create",
      "money",
      "--task",
      "t",
      "--budget",
      "10",
    ]);
    expect((await dash(["budget", "allocate", swarm.id, "2.5"]))[1]).toContain("$0.00 of $12.50 spent");
    expect((await dash(["budget", "show", "--swarm", swarm.id]))[1]).toMatch(/money\s+\$0\.00 \/ \$12\.50/);
    const key = await dashJson<{ id: string; key: string }>([
      "keys",
      "create",
      "ci",
      "--permissions",
      "read,write",
    ]);
    expect(key.key).toMatch(/^dash_api_key_/);
    expect((await dash(["swarm", "list"], key.key))[0]).toBe(EXIT.ok);
    expect((await dash(["keys", "list"]))[1]).toMatch(/ci\s+read,write\s+active/);
    expect((await dash(["keys", "revoke", key.id]))[1]).toContain("Revoked key ci");
    expect((await dash(["swarm", "list"], key.key))[0]).toBe(EXIT.auth);
  });

  test("exit codes: usage 2, auth 3, no server 4 with how to start one", async () => {
    expect((await dash(["swarm", "scale", "x", "many"]))[0]).toBe(EXIT.usage);
    expect((await dash(["keys", "create", "k", "--permissions", "root"]))[0]).toBe(EXIT.usage);
    expect((await dash(["swarm", "create", "x", "--task", "t", "--agents", "101"]))[0]).toBe(EXIT.usage);
    expect((await dash(["keys", "list"], api.keys.read))[0]).toBe(EXIT.auth);
    clearStderr();
    const code = await runCli(main, ["swarm", "list", "--url", "http://127.0.0.1:1"], "test");
    expect(code).toBe(EXIT.unreachable);
    expect(stderr()).toContain(
      "No Dash server answers at http://127.0.0.1:1 (connection refused). Start one with `dash serve`",
    );
  });
});

describe("dash events", () => {
  test("lists events since a time as JSON lines or coloured lines; --type takes wildcards", async () => {
    const since = new Date().toISOString();
    const swarm = await dashJson<{ id: string }>(["swarm", "create", "ev", "--task", "t", "--agents", "2"]);
    const [code, text] = await dash(["events", "--since", since, "--type", "swarm.*", "--json"]);
    expect(code).toBe(EXIT.ok);
    const events = text.split("\n").map((l) => JSON.parse(l) as { type: string; source: string });
    expect(events.map((e) => [e.type, e.source])).toEqual([
      ["swarm.created", swarm.id],
      ["swarm.started", swarm.id],
    ]);
    const [, human] = await dash(["events", "--since", since, "--type", "agent.spawned", "--count", "1"]);
    expect(human).toMatch(/^\d\d:\d\d:\d\d\.\d{3} {2}agent\.spawned {5}\S+ {2}name=ev-1 task=t status=idle$/);
    expect((await dash(["events", "--type", "agent.nope"]))[0]).toBe(EXIT.usage);
  });

  test("--follow streams new events live and stops after --count", async () => {
    const following = dash(["events", "--follow", "--type", "agent.spawned", "--count", "3", "--json"]);
    await Bun.sleep(100);
    await api.json("POST", "/api/swarm", api.keys.write, { name: "live", task: "t", initialAgents: 3 });
    const [code, text] = await following;
    expect(code).toBe(EXIT.ok);
    expect(text.split("\n").map((l) => (JSON.parse(l) as { data: { name: string } }).data.name)).toEqual([
      "live-1",
      "live-2",
      "live-3",
    ]);
    const [refused] = await dash(["events", "--follow"], "dash_api_key_0000000000000000000000000000000x");
    expect(refused).toBe(EXIT.auth);
  });
});

describe("connection", () => {
  test("flags beat env beat the credentials file; its key goes only to its own server", () => {
    writeFileSync(
      join(home.dir, "credentials"),
      JSON.stringify({ url: "http://127.0.0.1:7373/", key: "k-file" }),
    );
    const env = { DASH_HOME: home.dir };
    expect(resolveConnection({}, env)).toMatchObject({ url: "http://127.0.0.1:7373", key: "k-file" });
    expect(resolveConnection({}, { ...env, DASH_API_KEY: "k-env", DASH_URL: "http://h:1" })).toMatchObject({
      url: "http://h:1",
      key: "k-env",
    });
    expect(resolveConnection({ url: "http://other:1" }, env)).toMatchObject({ key: null });
    expect(resolveConnection({ url: "http://x:2", key: "k-flag" }, env)).toMatchObject({
      key: "k-flag",
      keySource: "--key",
    });
    writeFileSync(join(home.dir, "credentials"), "not json");
    expect(resolveConnection({}, env)).toMatchObject({ url: "http://127.0.0.1:7373", key: null });
  });
});
