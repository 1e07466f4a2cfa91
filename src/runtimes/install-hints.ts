/**
 * How to install the coding-agent CLIs the built-in runtimes start, in one place: `dash doctor`
 * names it for a CLI it cannot find, and swarm creation names it when it refuses a runtime whose
 * CLI is not on the server's PATH. All four are published on npm.
 */
export const NPM_PACKAGES: Readonly<Record<string, string>> = {
  "claude-code": "@anthropic-ai/claude-code",
  codex: "@openai/codex",
  gemini: "@google/gemini-cli",
  opencode: "opencode-ai",
};

/** The runtime each CLI program belongs to, for presets of another name that start the same program. */
const RUNTIME_OF_PROGRAM: Readonly<Record<string, string>> = {
  claude: "claude-code",
  codex: "codex",
  gemini: "gemini",
  opencode: "opencode",
};

/** The npm package of a runtime's CLI, by the runtime's name or else by the program it starts. */
export function npmPackage(runtimeName: string, program: string): string | undefined {
  const base = program.split("/").pop() ?? program;
  return NPM_PACKAGES[runtimeName] ?? NPM_PACKAGES[RUNTIME_OF_PROGRAM[base] ?? ""];
}

/** What to do when `program` (the argv[0] of runtime `runtimeName`) is not installed. */
export function installHint(runtimeName: string, program: string): string {
  const pkg = npmPackage(runtimeName, program);
  if (pkg)
    return `install it with \`npm install -g ${pkg}\` (the server must find \`${program}\` on its PATH)`;
  return `install \`${program}\` or put it on the server's PATH (runtime "${runtimeName}", config.yaml runtimes:)`;
}
