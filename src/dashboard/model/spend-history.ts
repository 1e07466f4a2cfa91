/**
 * Spend per time slot over a window (default: 30 slots of 10 s = the last 5 minutes), summed from
 * agent.usage events by their commit time, for the budget panel's sparkline.
 */
export class SpendHistory {
  private readonly slots = new Map<number, number>();

  constructor(
    readonly slotMs = 10_000,
    readonly count = 30,
  ) {}

  add(timestamp: number, amount: number): void {
    if (!Number.isFinite(amount) || amount <= 0) return;
    const slot = Math.floor(timestamp / this.slotMs);
    this.slots.set(slot, (this.slots.get(slot) ?? 0) + amount);
  }

  /** Oldest first; the last entry is the slot `now` falls in. Forgets slots out of the window. */
  series(now: number): number[] {
    const last = Math.floor(now / this.slotMs);
    for (const slot of this.slots.keys()) if (slot <= last - this.count) this.slots.delete(slot);
    return Array.from({ length: this.count }, (_, i) => this.slots.get(last - this.count + 1 + i) ?? 0);
  }
}
