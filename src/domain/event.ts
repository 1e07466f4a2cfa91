import { z } from "zod";

/** Every event type Dash writes (PRD §5.4 plus the ones later capabilities need). */
export const EVENT_TYPES = [
  "agent.spawned",
  "agent.starting",
  "agent.started",
  "agent.progress",
  "agent.usage",
  "agent.completed",
  "agent.failed",
  "agent.killed",
  "agent.paused",
  "agent.resumed",
  "agent.retrying",
  "swarm.created",
  "swarm.started",
  "swarm.scaled",
  "swarm.paused",
  "swarm.resumed",
  "swarm.completed",
  "swarm.failed",
  "swarm.destroyed",
  "swarm.merged",
  "budget.allocated",
  "budget.threshold",
  "budget.exceeded",
  "budget.projected",
  "approval.requested",
  "approval.resolved",
  "approval.escalated",
  "system.error",
] as const;
export const EventTypeSchema = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventTypeSchema>;

/** An event as the write path hands it to the store: id and timestamp are assigned at commit. */
export interface NewEvent {
  type: EventType;
  source: string;
  data: Record<string, unknown>;
}

/** A committed event: the row of the events table. */
export interface EventRecord extends NewEvent {
  id: string;
  timestamp: number;
}

/** The wire shape (PRD §5.4). */
export const EventSchema = z.object({
  id: z.ulid(),
  timestamp: z.iso.datetime(),
  type: EventTypeSchema,
  source: z.string().min(1),
  data: z.record(z.string(), z.unknown()),
});
export type DashEvent = z.infer<typeof EventSchema>;

export function toEventResponse(event: EventRecord): DashEvent {
  return {
    id: event.id,
    timestamp: new Date(event.timestamp).toISOString(),
    type: event.type,
    source: event.source,
    data: event.data,
  };
}

/** A filter entry: an event type, `agent.*` (every type of a family) or `*`. */
export const EventFilterEntrySchema = z
  .string()
  .regex(/^(\*|[a-z]+\.(\*|[a-z]+))$/, "an event type like agent.spawned, agent.* or *");

/** The event types a filter selects. */
export function typesMatching(filter: readonly string[]): EventType[] {
  const patterns = filter.map((f) => new RegExp(`^${f.replace(".", "\\.").replace("*", "[a-z.]*")}$`));
  return EVENT_TYPES.filter((type) => patterns.some((p) => p.test(type)));
}
