/**
 * A counting semaphore whose acquire can be abandoned through an AbortSignal.
 * The issue loop awaits a slot before issuing the next query, so a million
 * queued queries never become a million pending closures.
 */
export class Semaphore {
  private available: number;
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private head = 0;
  constructor(permits: number) {
    this.available = permits;
  }
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.available > 0) {
      this.available--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter, this.head);
        if (i >= 0) {
          this.waiters.splice(i, 1);
          reject(signal!.reason);
        }
      };
      // The listener goes when the slot is granted: one signal serves every acquire of a long run.
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
  release(): void {
    if (this.head < this.waiters.length) {
      const w = this.waiters[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.waiters.length) {
        this.waiters = this.waiters.slice(this.head);
        this.head = 0;
      }
      w.resolve();
    } else this.available++;
  }
}
