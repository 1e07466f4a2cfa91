import { defineCommand } from "citty";
import { clientArgs, clientFor, output } from "./common.ts";
import { bold, dim, green, red, table } from "./style.ts";

/** A heartbeat's age as people read it: "1.2s", "3m". */
const age = (ms: number) => (ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 60_000)}m`);

/** `dash nodes`: the servers sharing this database (PostgreSQL), how fresh each one's heartbeat is. */
export default defineCommand({
  meta: {
    name: "nodes",
    description: "List the dash serve nodes sharing this database: heartbeat age and the agents each runs",
  },
  args: { ...clientArgs },
  async run({ args }) {
    const { nodes } = await clientFor(args).listNodes();
    output(args, { nodes }, () => {
      if (nodes.length === 0) return dim("No node has beaten yet.");
      const rows = nodes.map((n) => [
        n.self ? bold(n.id) : n.id,
        n.name,
        n.url ?? "-",
        n.version,
        // Older than a few beats: its agents are (or soon will be) taken over by another node.
        n.heartbeatAgeMs < 10_000 ? green(age(n.heartbeatAgeMs)) : red(age(n.heartbeatAgeMs)),
        String(n.liveAgents),
        n.self ? "← this one" : "",
      ]);
      return table(["NODE", "HOST", "URL", "VERSION", "HEARTBEAT", "LIVE AGENTS", ""], rows);
    });
  },
});
