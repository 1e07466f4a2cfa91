#!/usr/bin/env bun
// Hidden modes first, each importing only what it needs: a shim per running agent must stay small.
const [mode, arg] = process.argv.slice(2);
if (mode === "__shim" && arg) {
  const { runShim } = await import("./runtimes/shim.ts");
  process.exitCode = await runShim(arg);
} else if (mode === "__demo-agent") {
  const { runDemoAgent } = await import("./runtimes/demo-agent.ts");
  process.exitCode = await runDemoAgent(arg);
} else if (mode === "__openai-agent") {
  const { runOpenAIAgent } = await import("./runtimes/openai-agent.ts");
  process.exitCode = await runOpenAIAgent(arg ?? "", process.argv[4]);
} else if (mode === "__openclaw-agent") {
  const { runOpenClawAgent } = await import("./runtimes/openclaw-agent.ts");
  process.exitCode = await runOpenClawAgent(arg ?? "", process.argv[4]);
} else {
  const { main } = await import("./cli/index.ts");
  const { runCli } = await import("./cli/run.ts");
  const { VERSION } = await import("./version.ts");
  process.exitCode = await runCli(main, process.argv.slice(2), VERSION);
}

export {};
