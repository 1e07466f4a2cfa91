import { installHint } from "../runtimes/install-hints.ts";
import { presetsWith, type RuntimeKind } from "../runtimes/presets.ts";
import { INSTALL_HINT, probeBwrap } from "../safety/sandbox.ts";
import { type Check, type DoctorContext, fail, ok, warn } from "./doctor-checks.ts";

const which = (ctx: DoctorContext, program: string) => Bun.which(program, { PATH: ctx.env.PATH ?? "" });

/** The first line `program --version` prints, or null when it fails; killed at the timeout. */
async function versionOf(ctx: DoctorContext, program: string): Promise<string | null> {
  const proc = Bun.spawn([program, "--version"], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "ignore",
    env: ctx.env,
    timeout: ctx.timeoutMs,
    killSignal: "SIGKILL",
  });
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  return code === 0 ? (out.trim().split("\n")[0] ?? "") : null;
}

/** CLIs known to answer `--version` and exit; a custom command's program might start working instead. */
const VERSIONED: ReadonlySet<RuntimeKind> = new Set(["claude-code", "codex", "gemini", "opencode"]);

/**
 * One check per runtime that starts a program of its own: its argv[0] is on PATH (and its
 * version). Not essential: a server runs with whichever CLIs it has. `demo` runs this dash
 * itself, and the openai/openclaw kinds start no CLI; `command` without an argv has no program.
 */
export function runtimeChecks(ctx: DoctorContext): Check[] {
  const presets = presetsWith(ctx.config?.runtimes ?? {}, ctx.config?.openclaw);
  return Object.entries(presets)
    .filter(([, p]) => p.command?.[0] && !["demo", "openai", "openclaw"].includes(p.kind))
    .map(([name, preset]) => {
      const program = preset.command?.[0] ?? "";
      return {
        name: `runtime ${name}`,
        essential: false,
        async run() {
          const path = which(ctx, program);
          if (!path) return warn(`\`${program}\` is not on PATH`, installHint(name, program));
          if (!VERSIONED.has(preset.kind)) return ok(path);
          const version = await versionOf(ctx, path);
          if (version === null) {
            return warn(`${path} is there, but \`${program} --version\` fails`, installHint(name, program));
          }
          return ok(`${path}: ${version}`);
        },
      };
    });
}

/** The kernel sandbox every process agent runs in: bwrap on Linux, really tried (user namespaces…). */
export function sandboxCheck(ctx: DoctorContext): Check {
  return {
    name: "sandbox",
    essential: ctx.platform === "linux" || ctx.platform === "darwin",
    async run() {
      if (ctx.platform === "darwin") {
        const path = which(ctx, "sandbox-exec");
        if (path) return ok(`${path} (macOS sandbox)`);
        return fail("sandbox-exec is not on PATH", "it ships with macOS: put /usr/bin on PATH");
      }
      if (ctx.platform !== "linux") {
        return warn(
          `no file sandbox on ${ctx.platform}`,
          "swarms must set config.fileSandbox: false (`dash swarm create --no-sandbox`)",
        );
      }
      const bwrap = which(ctx, "bwrap");
      if (!bwrap) return fail("bubblewrap (bwrap) is not on PATH", INSTALL_HINT);
      const why = probeBwrap(bwrap);
      if (why) {
        return fail(
          `${bwrap} cannot make a sandbox here: ${why}`,
          INSTALL_HINT.replace(/^install it/, "allow unprivileged user namespaces"),
        );
      }
      return ok(`${bwrap}: ${(await versionOf(ctx, bwrap)) ?? "works"}`);
    },
  };
}

const ROOT_TOOLS = [
  {
    program: "setpriv",
    why: "drops a root server's agents to sandbox.user",
    fix: "install util-linux (Alpine: apk add setpriv)",
  },
  {
    program: "setfacl",
    why: "lets that user into granted paths, repositories and CLI config folders",
    fix: "install it (Debian/Ubuntu: apt-get install acl; Fedora: dnf install acl; Alpine: apk add acl)",
  },
];

/** A root server's agents run as an unprivileged user: that takes setpriv and setfacl. */
export function rootToolChecks(ctx: DoctorContext): Check[] {
  if (ctx.uid !== 0 || ctx.platform !== "linux") return [];
  return ROOT_TOOLS.map(({ program, why, fix }) => ({
    name: program,
    essential: true,
    async run() {
      const path = which(ctx, program);
      return path ? ok(`${path} (${why})`) : fail(`\`${program}\` is not on PATH (it ${why})`, fix);
    },
  }));
}

export function gitCheck(ctx: DoctorContext): Check {
  return {
    name: "git",
    essential: false,
    async run() {
      const git = which(ctx, "git");
      const fix = "install git: swarms with --repo (a worktree per agent) and `dash swarm merge` need it";
      if (!git) return warn("`git` is not on PATH", fix);
      const version = await versionOf(ctx, git);
      return version === null ? warn(`${git} --version fails`, fix) : ok(version);
    },
  };
}

/** What `dash dashboard` needs from the terminal. Never essential: the other commands print text. */
export function terminalCheck(ctx: DoctorContext): Check {
  return {
    name: "terminal",
    essential: false,
    async run() {
      const term = ctx.env.TERM;
      const problems = [
        ...(ctx.isTTY ? [] : ["stdout is not a terminal"]),
        ...(!term ? ["TERM is not set"] : term === "dumb" ? ["TERM=dumb"] : []),
      ];
      if (problems.length > 0) {
        return warn(
          `${problems.join(", ")}: \`dash dashboard\` needs a real terminal`,
          "run the dashboard in an interactive terminal with TERM set (e.g. TERM=xterm-256color)",
        );
      }
      const truecolor = /truecolor|24bit/i.test(ctx.env.COLORTERM ?? "");
      const colors = truecolor ? "truecolor" : /256/.test(term ?? "") ? "256 colors" : "basic colors";
      return ok(`TERM=${term}, ${colors}`);
    },
  };
}
