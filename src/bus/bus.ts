import type { EventRecord } from "../domain/event.ts";

export type Listener = (event: EventRecord) => void;

/**
 * The in-process event bus. Only the write path publishes, and only after COMMIT, so every event a
 * listener sees is in the events table, in id order (DESIGN.md §3). A throwing listener is
 * isolated: it is reported and the others still get the event.
 */
export class EventBus {
  private readonly listeners = new Set<Listener>();

  constructor(private readonly onListenerError: (error: unknown) => void = () => {}) {}

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(events: readonly EventRecord[]): void {
    for (const event of events) {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (error) {
          this.onListenerError(error);
        }
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
