import { defineCommand } from "citty";
import { notificationsClient } from "../client/notifications.ts";
import { EventFilterEntrySchema } from "../domain/event.ts";
import { SinkFormatSchema } from "../domain/notification.ts";
import { age, clientArgs, clientFor, numberArg, output, UsageError } from "./common.ts";
import { bold, dim, green, red, table, yellow } from "./style.ts";

const STATE = { pending: yellow, delivered: green, dead: red } as const;

const list = defineCommand({
  meta: { name: "list", description: "List notifications, newest first: pending, delivered, dead" },
  args: {
    status: { type: "string", description: "Only pending, delivered or dead" },
    sink: { type: "string", description: "Only this sink's" },
    limit: { type: "string", description: "At most this many (default 50)" },
    ...clientArgs,
  },
  async run({ args }) {
    if (args.status && !["pending", "delivered", "dead"].includes(args.status))
      throw new UsageError(`--status must be pending, delivered or dead, not "${args.status}"`);
    const limit = numberArg("--limit", args.limit, { min: 1 }) ?? 50;
    const answer = await notificationsClient(clientFor(args)).list({
      status: args.status,
      sink: args.sink,
      limit,
    });
    output(args, answer, () => {
      const { pending, delivered, dead } = answer.counts;
      const totals = `${yellow(`${pending} pending`)}, ${green(`${delivered} delivered`)}, ${red(`${dead} dead`)}`;
      if (answer.notifications.length === 0) return `${dim("No notifications.")} ${totals}`;
      const rows = answer.notifications.map((n) => [
        String(n.id),
        n.sink,
        n.type,
        STATE[n.status](n.status),
        String(n.attempts),
        `${age(n.createdAt)} ago`,
        n.lastError ? n.lastError.slice(0, 60) : "",
      ]);
      const hint = dead > 0 ? `\n${dim("Deliver dead ones again: dash notifications retry --dead")}` : "";
      return `${table(["ID", "SINK", "EVENT", "STATE", "TRIES", "AGE", "LAST ERROR"], rows)}\n${totals}${hint}`;
    });
  },
});

const retry = defineCommand({
  meta: {
    name: "retry",
    description: "Deliver dead-lettered notifications again (by id, or --dead for all)",
  },
  args: {
    ids: { type: "positional", required: false, description: "Notification ids (space separated)" },
    dead: { type: "boolean", description: "Every dead notification" },
    ...clientArgs,
  },
  async run({ args }) {
    const ids = (args._ as string[]).map((id) => numberArg("id", id, { min: 1 }) as number);
    if (ids.length === 0 && !args.dead)
      throw new UsageError("give notification ids, or --dead for every dead one");
    if (ids.length > 0 && args.dead) throw new UsageError("give ids or --dead, not both");
    const { retried } = await notificationsClient(clientFor(args)).retry(
      args.dead ? { dead: true } : { ids },
    );
    output(args, { retried }, () => `${green("✓")} ${retried} notification(s) will be delivered again`);
  },
});

const sinks = defineCommand({
  meta: { name: "sinks", description: "List notification sinks (config.yaml's and the API's)" },
  args: { ...clientArgs },
  async run({ args }) {
    const answer = await notificationsClient(clientFor(args)).sinks();
    output(args, answer, () => {
      if (answer.sinks.length === 0)
        return dim(
          "No sinks: add one under notify.sinks in config.yaml, or dash notifications add <name> <webhook-url>",
        );
      const rows = answer.sinks.map((s) => [
        bold(s.name),
        s.url ?? `plugin ${s.plugin}`,
        s.format,
        s.events.join(","),
        s.swarmId ?? "all",
        s.signed ? green("signed") : yellow("unsigned"),
        s.origin,
      ]);
      return table(["SINK", "TARGET", "FORMAT", "EVENTS", "SWARM", "SIGNATURE", "FROM"], rows);
    });
  },
});

const add = defineCommand({
  meta: { name: "add", description: "Add (or replace) a webhook sink through the API" },
  args: {
    name: { type: "positional", required: true, description: "The sink's name" },
    webhook: { type: "positional", required: true, description: "The webhook URL (http:// or https://)" },
    events: {
      type: "string",
      description: "Comma list of event types (agent.*, *); default: the ones a person is needed for",
    },
    format: { type: "string", description: "json (default), slack or discord" },
    secret: { type: "string", description: "Signs each delivery (Dash-Signature), at least 16 characters" },
    swarm: { type: "string", description: "Only this swarm's events" },
    ...clientArgs,
  },
  async run({ args }) {
    const events = args.events?.split(",").map((e) => e.trim());
    const badEvent = events?.find((e) => !EventFilterEntrySchema.safeParse(e).success);
    if (badEvent) throw new UsageError(`"${badEvent}" is not an event type like agent.spawned, agent.* or *`);
    const format = args.format ?? "json";
    if (!SinkFormatSchema.safeParse(format).success)
      throw new UsageError("--format must be json, slack or discord");
    const sink = await notificationsClient(clientFor(args)).addSink(args.name, {
      url: args.webhook,
      format: format as never,
      ...(events ? { events } : {}),
      ...(args.secret ? { secret: args.secret } : {}),
      ...(args.swarm ? { swarmId: args.swarm } : {}),
    });
    output(
      args,
      sink,
      () => `${green("✓")} Sink ${bold(sink.name)} → ${sink.url} (${sink.events.join(", ")})`,
    );
  },
});

const remove = defineCommand({
  meta: { name: "rm", description: "Remove a sink added through the API" },
  args: { name: { type: "positional", required: true, description: "The sink's name" }, ...clientArgs },
  async run({ args }) {
    const done = await notificationsClient(clientFor(args)).removeSink(args.name);
    output(args, done, () => `${green("✓")} Removed sink ${bold(done.deleted)}`);
  },
});

export default defineCommand({
  meta: { name: "notifications", description: "Webhook sinks and the notifications sent to them (admin)" },
  subCommands: { list, retry, sinks, add, rm: remove },
});
