/** A token bucket: the run's budgets of faster rollout polls and of deregistrations. */
import { systemClock, type Clock } from '@ferry/core';

/** `take(now)` is true at most `perSecond` times a second (bursts up to `perSecond`). */
export function tokenBucket(perSecond: number, clock: Pick<Clock, 'now'> = systemClock): (now?: number) => boolean {
  let tokens = perSecond;
  let at = clock.now();
  return (now = clock.now()) => {
    tokens = Math.min(perSecond, tokens + (Math.max(0, now - at) / 1000) * perSecond);
    at = Math.max(at, now);
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}
