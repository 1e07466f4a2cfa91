import type { EventType } from "../domain/event.ts";

/** One event as a sink receives it (the JSON body of a webhook delivery). */
export interface Notification {
  /** The event's id: the same on every attempt, so a receiver can drop repeats (`Dash-Event-Id`). */
  id: string;
  type: EventType;
  /** ISO 8601, when the event was committed. */
  timestamp: string;
  source: string;
  data: Record<string, unknown>;
  /** The sink's name, and which attempt this is (1, 2, …). */
  sink: string;
  attempt: number;
  /** One line for a person: what happened and what to do (the Slack/Discord text). */
  text: string;
}

/**
 * A sink a plugin adds (`plugins:` in config.yaml, then `notify.sinks.<name>: {plugin: <its name>}`).
 * `deliver` resolving means delivered; throwing (or passing the signal's timeout) means retry later
 * with backoff, like a webhook that answered 500. It must not keep state it needs across restarts:
 * the outbox does.
 */
export interface SinkPlugin {
  name: string;
  deliver(notification: Notification, options: { signal: AbortSignal }): Promise<void>;
}
