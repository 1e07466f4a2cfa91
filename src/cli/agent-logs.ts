import { defineCommand } from "citty";
import { failureOf } from "../domain/agent-failure.ts";
import { clientArgs, clientFor, numberArg } from "./common.ts";
import { dim, yellow } from "./style.ts";

const POLL_MS = 500;

/** `dash agent logs <id> [-f] [--tail N]`: the agent's output; with -f, until it finishes (or Ctrl-C). */
export const logs = defineCommand({
  meta: { name: "logs", description: "Print an agent's output (stdout and stderr); -f follows it" },
  args: {
    id: { type: "positional", required: true, description: "Agent id" },
    follow: { type: "boolean", alias: "f", description: "Keep printing new lines until the agent finishes" },
    tail: { type: "string", description: "Lines from the end to start with (default 100)" },
    ...clientArgs,
  },
  async run({ args }) {
    const client = clientFor(args);
    const tail = numberArg("--tail", args.tail, { integer: true, min: 0 });
    let page = await client.agentLogs(args.id, { tail });
    const print = (lines: string[]) => {
      for (const line of lines) console.log(args.json ? JSON.stringify({ line }) : line);
    };
    if (!args.follow) {
      if (args.json) console.log(JSON.stringify(page, null, 2));
      else print(page.lines);
      if (page.lines.length === 0 && !args.json) await sayWhyEmpty(client, args.id);
      return;
    }
    print(page.lines);
    while (!page.finished) {
      await Bun.sleep(POLL_MS);
      page = await client.agentLogs(args.id, { after: page.offset });
      print(page.lines);
    }
  },
});

/** An empty log is not left silent: an agent that never started, or printed nothing, says why. */
async function sayWhyEmpty(client: ReturnType<typeof clientFor>, id: string): Promise<void> {
  const agent = await client.getAgent(id);
  const failure = failureOf(agent);
  const started = agent.sandbox !== null; // set when its process was started
  const say = (line: string): void => void process.stderr.write(`${line}\n`);
  if (!started && failure)
    return say(`${yellow("no output:")} agent ${agent.name} never started: ${failure.message}`);
  if (!started) return say(dim(`no output yet: agent ${agent.name} has not started (${agent.status})`));
  if (failure)
    return say(
      `${yellow("no output:")} agent ${agent.name} printed nothing; it ended with: ${failure.message}`,
    );
  say(dim(`no output: agent ${agent.name} has printed nothing (${agent.status})`));
}

/** `dash agent diff <id>`: what a worktree agent changed on its branch (git diff text). */
export const diff = defineCommand({
  meta: { name: "diff", description: "Show what a worktree agent (swarm --repo) changed on its branch" },
  args: {
    id: { type: "positional", required: true, description: "Agent id" },
    ...clientArgs,
  },
  async run({ args }) {
    const answer = await clientFor(args).agentDiff(args.id);
    if (args.json) console.log(JSON.stringify(answer, null, 2));
    else console.log(answer.diff || `no changes on ${answer.branch}`);
  },
});
