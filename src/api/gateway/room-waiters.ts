/**
 * Calls that found their room held by other calls in flight wait here, woken when any call
 * settles (which may free room) or after a short timeout (more money may have come meanwhile).
 */
export class RoomWaiters {
  private readonly waiting = new Set<() => void>();

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiting.add(done);
    });
  }

  wake(): void {
    for (const done of [...this.waiting]) done();
  }
}
