import type { DashEvent } from "../../domain/event.ts";

/** The last `capacity` events, oldest first: a ring, so a busy server never grows the dashboard. */
export class EventLog {
  private readonly ring: DashEvent[] = [];
  private start = 0;

  constructor(readonly capacity = 1000) {}

  push(event: DashEvent): void {
    if (this.ring.length < this.capacity) {
      this.ring.push(event);
      return;
    }
    this.ring[this.start] = event;
    this.start = (this.start + 1) % this.capacity;
  }

  get size(): number {
    return this.ring.length;
  }

  toArray(): DashEvent[] {
    return [...this.ring.slice(this.start), ...this.ring.slice(0, this.start)];
  }
}
