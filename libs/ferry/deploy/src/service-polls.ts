/**
 * The DescribeServices polls of every rollout watched in one cluster, shared.
 *
 * DescribeServices describes up to 10 services of one cluster per call (the `services` member of
 * AWS's ECS model: "You may specify up to 10 services to describe"). A run that rolls out K apps
 * used to poll K times a second, each watcher on its own; and the faster polls near an expected
 * completion came out of one budget of 4 a second, so with two rollouts or more some watchers fell
 * back to the 1 s interval and reported their COMPLETED up to a second late (measured: the second
 * of two apps 0.7 s after the first, for rollouts that ended within 0.1 s of each other).
 *
 * Here a watcher asks for a *look* at its service at a time (`look`), and the poller of the cluster
 * answers every look due by then with one DescribeServices call per 10 of them. Whatever room those
 * calls have left is filled with the cluster's other pending looks, soonest first: an answer they
 * get early costs no call. Watchers answered by the same call wake together and stay together, so
 * K rollouts in a cluster cost about one call a second, not K, and a faster poll for one of them
 * is a faster poll for all of them (also for a rollout whose own expected end was wrong, e.g. one
 * estimated from the service's first, drain-free rollout). A faster poll (a look marked `fast`)
 * still draws on the run's budget, one token per call it causes; when the budget says no, the look
 * moves to the time the watcher gave as its fallback (its base interval).
 *
 * No module state: one poller per cluster and EcsPort, held by the run's session (`rolloutPolls`).
 */
import { sessionPart, systemClock, type Clock } from '@ferry/core';
import { DESCRIBE_SERVICES_MAX, type EcsPort, type EcsService } from '@ferry/aws';
import { tokenBucket } from './token-bucket.ts';

/** The answer to a look: the cluster's DescribeServices, or undefined when the look was aborted. */
export type LookAnswer = { services: EcsService[] } | undefined;

export interface LookOptions {
  /** A faster poll: drawn on the run's budget; without a token it is made at `orAt` instead. */
  fast?: { orAt: number };
  signal?: AbortSignal;
}

interface Look {
  service: string;
  at: number;
  fast?: { orAt: number };
  settle: (answer: LookAnswer) => void;
  fail: (e: unknown) => void;
  off: () => void;
}

/** The looks at one cluster's services, answered by shared DescribeServices calls. */
export class ServicePoller {
  private pending: Look[] = [];
  private timer?: { at: number; stop: AbortController };

  constructor(
    private readonly ecs: EcsPort,
    private readonly cluster: string,
    private readonly clock: Clock = systemClock,
    /** The run's budget of faster polls; without it a look marked fast waits for its fallback time. */
    private readonly budget?: () => boolean,
  ) {}

  /** Describes `service` at `at` (epoch ms of the clock), or earlier when a call made for other looks has room for it. */
  look(service: string, at: number, o: LookOptions = {}): Promise<LookAnswer> {
    if (o.signal?.aborted) return Promise.resolve(undefined);
    return new Promise<LookAnswer>((resolve, reject) => {
      const onAbort = () => {
        this.pending = this.pending.filter((l) => l !== look);
        resolve(undefined);
        this.schedule();
      };
      const look: Look = { service, at, fast: o.fast, settle: resolve, fail: reject, off: () => o.signal?.removeEventListener('abort', onAbort) };
      o.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.push(look);
      this.schedule();
    });
  }

  /** One timer, at the earliest look. */
  private schedule(): void {
    const next = Math.min(...this.pending.map((l) => l.at));
    if (this.timer && this.timer.at === next) return;
    this.timer?.stop.abort();
    this.timer = undefined;
    if (!this.pending.length) return;
    const timer = { at: next, stop: new AbortController() };
    this.timer = timer;
    void this.clock.sleep(Math.max(0, next - this.clock.now()), timer.stop.signal).then((fired) => {
      if (!fired || this.timer !== timer) return;
      this.timer = undefined;
      this.flush();
    });
  }

  /** Answers the looks that are due, and as many others as the calls have room for. */
  private flush(): void {
    const now = this.clock.now();
    const due = this.pending.filter((l) => l.at <= now).sort((a, b) => a.at - b.at);
    if (!due.length) return this.schedule();
    const riders = this.pending.filter((l) => l.at > now).sort((a, b) => a.at - b.at);
    let taken: Look[];
    if (due.some((l) => !l.fast)) {
      // A poll at the base interval is due anyway: its calls go, filled up with the soonest others.
      const room = Math.ceil(due.length / DESCRIBE_SERVICES_MAX) * DESCRIBE_SERVICES_MAX - due.length;
      taken = [...due, ...riders.slice(0, room)];
    } else {
      // Only faster polls are due: one token per call of up to 10 services.
      taken = [];
      const queue = [...due, ...riders];
      while (queue.length && this.budget?.()) taken.push(...queue.splice(0, DESCRIBE_SERVICES_MAX));
    }
    const took = new Set(taken);
    // Faster looks the budget refused wait for their base time.
    for (const l of due) if (!took.has(l) && l.fast) Object.assign(l, { at: l.fast.orAt, fast: undefined });
    this.pending = this.pending.filter((l) => !took.has(l));
    this.schedule();
    if (!taken.length) return;
    for (const l of taken) l.off();
    const names = [...new Set(taken.map((l) => l.service))];
    this.ecs.describeServices(this.cluster, names).then(
      (answer) => taken.forEach((l) => l.settle({ services: answer.services })),
      (e: unknown) => taken.forEach((l) => l.fail(e)),
    );
  }
}

/** The pollers of a run: one per EcsPort and cluster, sharing the run's budget of faster polls. */
export interface RolloutPolls {
  poller(ecs: EcsPort, cluster: string): ServicePoller;
}

export function sharedPolls(clock: Clock, budget?: () => boolean): RolloutPolls {
  const byPort = new WeakMap<EcsPort, Map<string, ServicePoller>>();
  return {
    poller(ecs, cluster) {
      let clusters = byPort.get(ecs);
      if (!clusters) byPort.set(ecs, (clusters = new Map()));
      let p = clusters.get(cluster);
      if (!p) clusters.set(cluster, (p = new ServicePoller(ecs, cluster, clock, budget)));
      return p;
    },
  };
}

/** Faster polls allowed per second in one run (a token bucket shared by every watcher). */
export const FAST_POLLS_PER_SECOND = 4;

/** The run's rollout pollers, with its budget of faster polls (FAST_POLLS_PER_SECOND). */
export const rolloutPolls = sessionPart('rollout polls', (s) => sharedPolls(s.clock, tokenBucket(FAST_POLLS_PER_SECOND, s.clock)));
