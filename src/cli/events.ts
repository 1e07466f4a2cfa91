import { defineCommand } from "citty";
import { EventStream } from "../client/events.ts";
import { DashError } from "../domain/errors.ts";
import { type DashEvent, EventFilterEntrySchema, typesMatching } from "../domain/event.ts";
import { clientArgs, clientFor, numberArg, UsageError } from "./common.ts";
import { dim, green, red, yellow } from "./style.ts";

const RED = /failed|exceeded|error|killed|destroyed/;
const YELLOW = /threshold|paused|retrying|projected|scaled|approval/;
const GREEN = /completed|created|started|resumed|spawned|allocated/;

/** `15:04:05.123  agent.completed  <source>  name=… status=…`, coloured by how it reads. */
export function eventLine(event: DashEvent): string {
  const paint = RED.test(event.type)
    ? red
    : YELLOW.test(event.type)
      ? yellow
      : GREEN.test(event.type)
        ? green
        : (s: string) => s;
  const facts = Object.entries(event.data)
    .filter(([k, v]) => !["agentId", "swarmId"].includes(k) && v !== null && typeof v !== "object")
    .slice(0, 5)
    .map(([k, v]) => `${k}=${String(v).slice(0, 60)}`);
  return `${dim(event.timestamp.slice(11, 23))}  ${paint(event.type.padEnd(16))}  ${dim(event.source)}  ${facts.join(" ")}`;
}

function filterOf(type: string | undefined): string[] {
  const filter = (type ?? "*")
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  const bad = filter.find(
    (f) => !EventFilterEntrySchema.safeParse(f).success || typesMatching([f]).length === 0,
  );
  if (bad) throw new UsageError(`--type "${bad}" matches no event type (e.g. agent.completed, agent.*, *)`);
  return filter;
}

export default defineCommand({
  meta: { name: "events", description: "Show events, or follow them live with --follow" },
  args: {
    follow: { type: "boolean", alias: "f", description: "Keep streaming new events (reconnects by itself)" },
    type: { type: "string", description: "Comma list of types; wildcards like agent.* (default all)" },
    since: {
      type: "string",
      description: "An event id or ISO time (default: the last hour; with --follow: now)",
    },
    count: { type: "string", description: "Stop after this many events" },
    ...clientArgs,
  },
  async run({ args }) {
    const filter = filterOf(args.type);
    const count = numberArg("--count", args.count, { integer: true, min: 1 }) ?? Number.POSITIVE_INFINITY;
    const print = (event: DashEvent) => console.log(args.json ? JSON.stringify(event) : eventLine(event));
    if (args.follow) return follow(args, filter, count, print);
    const client = clientFor(args);
    const types = filter.includes("*") ? undefined : typesMatching(filter).join(",");
    const since = args.since ?? new Date(Date.now() - 3_600_000).toISOString();
    let cursor: string | undefined;
    let shown = 0;
    do {
      const page = await client.listEvents({ since, type: types, limit: 1000, cursor });
      for (const event of page.events.slice(0, count - shown)) print(event);
      shown += page.events.length;
      cursor = page.nextCursor ?? undefined;
    } while (cursor && shown < count);
  },
});

/** Streams until --count events or Ctrl-C; connection trouble goes to stderr, never into the output. */
function follow(
  args: { url?: string; key?: string; since?: string },
  filter: string[],
  count: number,
  print: (event: DashEvent) => void,
): Promise<void> {
  const { connection } = clientFor(args);
  return new Promise((resolve, reject) => {
    let seen = 0;
    const stream = new EventStream({
      connection,
      filter,
      since: args.since,
      onEvent(event) {
        print(event);
        if (++seen >= count) finish();
      },
      onStatus(status) {
        if (status.state === "reconnecting") {
          process.stderr.write(
            dim(
              `connection lost (${status.code}); reconnecting in ${((status.delayMs ?? 0) / 1000).toFixed(1)}s\n`,
            ),
          );
        }
        if (status.state === "fatal") {
          stream.stop();
          const code = status.code === 4401 ? "UNAUTHORIZED" : "VALIDATION_ERROR";
          reject(new DashError(code, `The event stream was refused: ${status.reason}`));
        }
      },
    }).start();
    const finish = () => {
      stream.stop();
      process.off("SIGINT", finish);
      resolve();
    };
    process.once("SIGINT", finish);
  });
}
