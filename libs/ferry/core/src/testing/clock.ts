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
