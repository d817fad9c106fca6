/** A clock for tests: time moves only when someone sleeps (or `advance` is called), at once. */
import type { Clock } from '../session.ts';

export class ManualClock implements Clock {
  constructor(private t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return false;
    this.t += Math.max(0, ms);
    // Let other tasks run, as a real timer would.
    await new Promise((r) => setImmediate(r));
    return !signal?.aborted;
  }
}

/**
 * A clock for tests of several sleepers at once: time jumps to the earliest timer once every task
 * has settled (a few event-loop turns with no timer due), and wakes the timers due then, in order.
 * Unlike ManualClock, two sleepers of 250 and 1000 ms wake 750 ms apart, not one after the other.
 */
export class VirtualClock implements Clock {
  private timers: { at: number; seq: number; wake: (fired: boolean) => void }[] = [];
  private seq = 0;
  private pumping = false;
  constructor(private t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, wake: resolve };
      this.timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          this.timers = this.timers.filter((x) => x !== timer);
          resolve(false);
        },
        { once: true },
      );
      this.pump();
    });
  }
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    const turns = (n: number): Promise<void> => (n ? new Promise<void>((r) => setImmediate(r)).then(() => turns(n - 1)) : Promise.resolve());
    void turns(5).then(() => {
      this.pumping = false;
      if (!this.timers.length) return;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      this.t = Math.max(this.t, this.timers[0].at);
      const due = this.timers.filter((x) => x.at <= this.t);
      this.timers = this.timers.filter((x) => x.at > this.t);
      for (const x of due) x.wake(true);
      this.pump();
    });
  }
}
