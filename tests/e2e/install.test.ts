import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { hostTarget, writeChecksums } from "../../build.ts";
import { tempHome } from "../helpers.ts";
import { compiledDash } from "./compiled.ts";

// scripts/install.sh run by the real sh against real folders (and a real HTTP server), installing
// the compiled binary of this tree the way a person would install a release.
const script = join(import.meta.dir, "..", "..", "scripts", "install.sh");
const work = tempHome("dash-install-");
const own = `dash-${hostTarget()}`;
const sha256 = (bytes: Uint8Array | string) => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
let bin = "";
let binSum = "";
let dists = 0;
// Each real install copies and hashes a 100 MB binary: seconds on a 2-core machine.
const slow = 30_000;

beforeAll(async () => {
  bin = await compiledDash();
  binSum = sha256(readFileSync(bin));
}, 120_000);
afterAll(() => work.cleanup());

/** A fresh folder like dist/ after `bun run build --all`: the named files, then their SHA256SUMS. */
async function makeDist(files: Record<string, string | Uint8Array | { copyOf: string }>): Promise<string> {
  const dir = join(work.dir, `dist-${++dists}`);
  mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) {
    if (typeof content === "object" && "copyOf" in content) copyFileSync(content.copyOf, join(dir, name));
    else writeFileSync(join(dir, name), content);
  }
  await writeChecksums(dir, Object.keys(files));
  return dir;
}

function installDir(): string {
  return join(work.dir, `bin-${++dists}`);
}

/** Runs `sh install.sh` (async: the HTTP test's server answers from this same process). */
async function install(
  args: string[],
  env: Record<string, string> = {},
  shell = [Bun.which("sh") ?? "/bin/sh"],
) {
  const proc = Bun.spawn([...shell, script, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: work.dir, SHELL: "/bin/bash", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, out, err };
}

describe("writeChecksums", () => {
  test("writes sha256sum's format, which sha256sum -c accepts", async () => {
    const dist = await makeDist({ "dash-a": "alpha\n", "dash-b": new Uint8Array([0, 255, 7]) });
    const sums = readFileSync(join(dist, "SHA256SUMS"), "utf8");
    expect(sums).toBe(`${sha256("alpha\n")}  dash-a\n${sha256(new Uint8Array([0, 255, 7]))}  dash-b\n`);
    const check = Bun.spawnSync(["sha256sum", "-c", "SHA256SUMS"], { cwd: dist, stdout: "pipe" });
    expect(check.exitCode).toBe(0);
    expect(check.stdout.toString()).toBe("dash-a: OK\ndash-b: OK\n");
  });
});

describe("scripts/install.sh", () => {
  test("--help prints the usage and the environment it reads", async () => {
    const r = await install(["--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("usage: sh scripts/install.sh --from <dir|url>");
    expect(r.out).toContain("DASH_INSTALL_DIR");
    expect(r.out).toContain("DASH_INSTALL_UNAME   for testing");
  });

  test("another dash first on PATH (Debian's dash shell) is named, with the line that puts ours first", async () => {
    const dist = await makeDist({ [own]: { copyOf: bin } });
    const dir = installDir();
    const shellDir = join(work.dir, "debian-bin");
    mkdirSync(shellDir, { recursive: true });
    writeFileSync(join(shellDir, "dash"), "#!/bin/sh\n");
    chmodSync(join(shellDir, "dash"), 0o755);
    const r = await install(["--from", dist], {
      DASH_INSTALL_DIR: dir,
      PATH: `${shellDir}:${dir}:${process.env.PATH ?? ""}`,
    });
    expect(r.code).toBe(0);
    expect(r.out).toContain(`another dash comes first on your PATH: ${shellDir}/dash`);
    expect(r.out).toContain(`export PATH="${dir}:$PATH"`);
    expect(r.out).toContain("dash doctor");
  }, 30_000);

  test(
    "installs this machine's binary from a folder, checks it, runs it and names the next step",
    async () => {
      const dist = await makeDist({ [own]: { copyOf: bin } });
      const dir = installDir();
      const r = await install(["--from", dist], { DASH_INSTALL_DIR: dir });
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      const installed = join(dir, "dash");
      expect(sha256(readFileSync(installed))).toBe(binSum);
      expect(Bun.file(installed).size).toBe(Bun.file(bin).size);
      const version = Bun.spawnSync([bin, "--version"]).stdout.toString().trim();
      expect(version).toMatch(/^\d+\.\d+\.\d+/);
      expect(r.out).toContain(`dash --version: ${version}`);
      expect(r.out).toContain(`sha256 ${binSum} checked`);
      expect(r.out).toContain(`Add this line to ~/.bashrc`);
      expect(r.out).toContain(`export PATH="${dir}:$PATH"`);
      expect(r.out).toContain("dash serve");
      expect(r.out).toContain("dash demo");
      expect(r.out).not.toContain("\x1b["); // not a terminal: no colours
      expect(readdirSync(dir)).toEqual(["dash"]); // the temp download folder is gone
      expect((await Bun.file(installed).stat()).mode & 0o777).toBe(0o755);
    },
    slow,
  );

  test(
    "a corrupted binary is refused, named by both sums, and nothing is installed",
    async () => {
      const dist = await makeDist({ [own]: { copyOf: bin } });
      const bytes = readFileSync(join(dist, own));
      bytes[1000] = (bytes[1000] ?? 0) ^ 0xff; // after the sums were written
      writeFileSync(join(dist, own), bytes);
      const dir = installDir();
      const r = await install(["--from", dist], { DASH_INSTALL_DIR: dir });
      expect(r.code).toBe(1);
      expect(r.err).toContain(`checksum mismatch for ${own}`);
      expect(r.err).toContain(`SHA256SUMS says ${binSum}`);
      expect(r.err).toContain(`the download is ${sha256(bytes)}`);
      expect(r.err).toContain("nothing was installed");
      expect(readdirSync(dir)).toEqual([]); // no dash, no leftover download
    },
    slow,
  );

  test("an unknown platform is refused with the ones there are", async () => {
    const dist = await makeDist({ [own]: "x" });
    const dir = installDir();
    const r = await install(["--from", dist], { DASH_INSTALL_DIR: dir, DASH_INSTALL_UNAME: "SunOS sparc" });
    expect(r.code).toBe(1);
    expect(r.err).toContain("no dash binary for this machine (SunOS sparc)");
    expect(r.err).toContain(
      "linux-x64 (Linux x86_64), linux-arm64 (Linux aarch64), darwin-arm64 (Darwin arm64)",
    );
    expect(existsSync(dir)).toBe(false);
  });

  test.skipIf(own === "dash-linux-arm64")(
    "a forced Linux aarch64 installs dash-linux-arm64 and says it did not run it",
    async () => {
      const arm = "#!/bin/sh\necho fake arm64 binary\n";
      const dist = await makeDist({ [own]: "not this one\n", "dash-linux-arm64": arm });
      const dir = installDir();
      const r = await install(["--from", dist], {
        DASH_INSTALL_DIR: dir,
        DASH_INSTALL_UNAME: "Linux aarch64",
      });
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      expect(readFileSync(join(dir, "dash"), "utf8")).toBe(arm);
      expect(r.out).toContain(`installed ${dir}/dash (linux-arm64`);
      expect(r.out).toContain("not running it: dash-linux-arm64 is for linux-arm64");
      expect(r.out).not.toContain("fake arm64 binary");
    },
  );

  const busybox = Bun.which("busybox");
  test.skipIf(!busybox)("runs under busybox sh with only busybox's tools on PATH", async () => {
    const applets = join(work.dir, "busybox");
    mkdirSync(applets);
    Bun.spawnSync([busybox ?? "", "--install", "-s", applets]);
    const dist = await makeDist({ [own]: "#!/bin/sh\necho 9.9.9-busybox\n" });
    const env = { DASH_INSTALL_DIR: installDir(), PATH: applets };
    const r = await install(["--from", dist], env, [join(applets, "sh")]);
    expect(r.err).toBe("");
    expect(r.out).toContain("dash --version: 9.9.9-busybox");
  });

  test(
    "a folder without SHA256SUMS is refused: nothing unchecked is installed",
    async () => {
      const dist = await makeDist({ [own]: "unchecked\n" });
      rmSync(join(dist, "SHA256SUMS"));
      const dir = installDir();
      const r = await install(["--from", dist], { DASH_INSTALL_DIR: dir });
      expect(r.code).toBe(1);
      expect(r.err).toContain(`no SHA256SUMS at ${dist}`);
      expect(readdirSync(dir)).toEqual([]);
    },
    slow,
  );

  test("a folder without this machine's binary is refused, naming what it has", async () => {
    const dist = await makeDist({ "dash-darwin-arm64": "mac\n" });
    const r = await install(["--from", dist], { DASH_INSTALL_DIR: installDir() });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`no ${own} in ${dist} (binaries there: dash-darwin-arm64)`);
  });

  test("bad usage exits 2", async () => {
    expect((await install([])).code).toBe(2);
    expect((await install([])).err).toContain("give --from <dir|url>");
    expect((await install(["--from"])).code).toBe(2);
    expect((await install(["--what"])).err).toContain("unknown argument: --what");
    expect((await install(["--from", join(work.dir, "nowhere")])).err).toContain("no such folder");
  });

  /** A PATH of only the tools install.sh uses, plus `extra` (to leave curl or wget out). */
  function toolsOnly(extra: string[]): string {
    const dir = join(work.dir, `tools-${++dists}`);
    mkdirSync(dir);
    const tools = ["uname", "cp", "mkdir", "mktemp", "rm", "awk", "cut", "sha256sum", "chmod", "mv"];
    for (const tool of [...tools, ...extra]) {
      const path = Bun.which(tool);
      if (path) symlinkSync(path, join(dir, tool));
    }
    return dir;
  }

  test("a URL without curl or wget is refused, saying what to do instead", async () => {
    const r = await install(["--from", "https://example.invalid/dash/"], { PATH: toolsOnly([]) });
    expect(r.code).toBe(1);
    expect(r.err).toContain("neither curl nor wget is installed");
    expect(r.err).toContain("--from <folder>");
  });

  const downloader = Bun.which("curl") ?? Bun.which("wget");
  test.skipIf(!downloader)(
    "installs from an http:// URL (DASH_INSTALL_FROM), already on PATH",
    async () => {
      const dist = await makeDist({ [own]: { copyOf: bin } });
      const requests: string[] = [];
      const server = Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        async fetch(req) {
          const name = new URL(req.url).pathname.slice(1);
          requests.push(name);
          const file = Bun.file(join(dist, name));
          if (name.includes("/") || !(await file.exists())) return new Response("not found", { status: 404 });
          return new Response(file);
        },
      });
      try {
        const dir = installDir();
        const from = `http://127.0.0.1:${server.port}/`;
        const path = `${dir}:${process.env.PATH ?? ""}`;
        const r = await install([], { DASH_INSTALL_DIR: dir, DASH_INSTALL_FROM: from, PATH: path });
        expect(r.err).toBe("");
        expect(r.code).toBe(0);
        expect(requests.sort()).toEqual([own, "SHA256SUMS"].sort());
        expect(sha256(readFileSync(join(dir, "dash")))).toBe(binSum);
        expect(r.out).toContain("dash --version: ");
        expect(r.out).not.toContain("is not on your PATH");
        expect(r.out).toContain("dash serve");
        const missing = await install(["--from", `${from}nothing-here`], { DASH_INSTALL_DIR: installDir() });
        expect(missing.code).toBe(1);
        expect(missing.err).toContain(`no SHA256SUMS at ${from}nothing-here`);
        if (!Bun.which("wget")) return;
        const viaWget = installDir();
        const wgetOnly = `${viaWget}:${toolsOnly(["wget"])}`;
        const w = await install(["--from", from], { DASH_INSTALL_DIR: viaWget, PATH: wgetOnly });
        expect(w.err).toBe("");
        expect(w.code).toBe(0);
        expect(w.out).toContain("dash --version: ");
      } finally {
        await server.stop(true);
      }
    },
    slow,
  );
});
