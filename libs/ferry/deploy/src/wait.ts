/**
 * Watching a rollout: poll DescribeServices every second (backing off only when throttled, never
 * the SDK waiter's 15 s), emit `rollout` events when something changed, and stop on the verdict
 * of evaluateRollout, the timeout, or the abort signal.
 *
 * When the service's last rollout took a known time (`ferry:rollout-ms`, written after each
 * COMPLETED rollout), the watcher polls every 250 ms in a short window around the moment this one
 * is expected to complete (`pollDelay`): the report then comes ~0.1 s after ECS marks COMPLETED
 * rather than 0.5 s on average. Without a known time (a service's first update, or a rollout that
 * takes longer than the last), the same faster polls start when the rollout enters its last phase
 * (`lastPhase`: our deployment runs every task it wants and no other deployment runs any), for
 * LAST_PHASE_FAST_MS: in the sandbox COMPLETED follows ~2 s after that, after the last check that
 * the service is steady.
 *
 * Each poll is a look handed to the cluster's ServicePoller (service-polls.ts): every rollout
 * watched in a cluster shares its DescribeServices calls (up to 10 services a call), and the faster
 * polls come out of one small budget per run (FAST_POLLS_PER_SECOND), so many rollouts watched at
 * once never multiply the DescribeServices rate.
 */
import { systemClock, type Clock, type Reporter } from '@ferry/core';
import { isThrottling, type EcsDeployment, type EcsPort, type EcsService } from '@ferry/aws';
import { deploymentViews, eventsSince, evaluateRollout, pollDelayMs, toMs, type RolloutVerdict } from './rollout.ts';
import { ServicePoller, type RolloutPolls } from './service-polls.ts';

export interface WatchOptions {
  app: string;
  cluster: string;
  service: string;
  /** The deployment id recorded from the UpdateService/CreateService response. */
  deploymentId: string;
  timeoutMs: number;
  /** Base poll interval, default 1000 ms. */
  intervalMs?: number;
  /** Service events newer than this (epoch ms) are reported as new. */
  since: number;
  signal?: AbortSignal;
  reporter: Reporter;
  /** When our deployment was created (epoch ms), if known before the first poll. */
  createdAt?: number;
  /** How long this service's last COMPLETED rollout took (ms): polls faster around that time. */
  expectedRolloutMs?: number;
  /** The run's shared pollers (`rolloutPolls` of the session); without them this watch polls alone, with no faster polls. */
  polls?: RolloutPolls;
  clock?: Clock;
}

/** The window of faster polls around the expected completion, and their interval. */
export const FAST_POLL = { beforeMs: 500, afterMs: 1500, intervalMs: 250 };
/** How long the faster polls last once a rollout is seen in its last phase (`lastPhase`). */
export const LAST_PHASE_FAST_MS = 3000;

/**
 * Whether a rollout is in its last phase, pure: our deployment runs all the tasks it wants and
 * every other deployment has stopped its tasks. What is left is ECS's own check that the service
 * is steady (COMPLETED), or a task failing late.
 */
export function lastPhase(deployments: readonly EcsDeployment[] | undefined, ourDeploymentId: string): boolean {
  const ours = deployments?.find((d) => d.id === ourDeploymentId);
  if (!ours || ours.status !== 'PRIMARY' || (ours.runningCount ?? 0) < (ours.desiredCount ?? 0)) return false;
  return (deployments ?? []).every((d) => d === ours || (d.runningCount ?? 0) === 0);
}

/**
 * The wait before the next DescribeServices, pure. `throttles` consecutive throttling answers back
 * off (pollDelayMs). With an expected completion time (`startedAt + expectedMs`): the base interval
 * until the window [expected - beforeMs, expected + afterMs] opens (the poll before it is moved to
 * its start), `intervalMs` inside it (`fast`), the base interval after it. `lastPhaseSince` (when
 * the rollout was first seen in its last phase) opens a window of its own for LAST_PHASE_FAST_MS.
 */
export function pollDelay(now: number, o: { baseMs: number; throttles: number; startedAt?: number; expectedMs?: number; lastPhaseSince?: number }): { ms: number; fast: boolean } {
  if (o.throttles > 0) return { ms: pollDelayMs(o.baseMs, o.throttles), fast: false };
  const fastMs = Math.min(o.baseMs, FAST_POLL.intervalMs);
  if (o.lastPhaseSince !== undefined && now < o.lastPhaseSince + LAST_PHASE_FAST_MS) return { ms: fastMs, fast: true };
  if (o.startedAt === undefined || !o.expectedMs || o.expectedMs <= 0) return { ms: o.baseMs, fast: false };
  const from = o.startedAt + o.expectedMs - FAST_POLL.beforeMs;
  const to = o.startedAt + o.expectedMs + FAST_POLL.afterMs;
  if (now >= to) return { ms: o.baseMs, fast: false };
  if (now >= from) return { ms: fastMs, fast: true };
  return { ms: Math.min(o.baseMs, Math.max(fastMs, from - now)), fast: false };
}

export type WatchOutcome = RolloutVerdict | { kind: 'timeout' } | { kind: 'interrupted' };

export interface WatchResult {
  outcome: WatchOutcome;
  /** The last service description seen. */
  service?: EcsService;
  /** Every service event seen since `since`, oldest first. */
  events: string[];
  /** The last state seen of the watched deployment (it leaves the array once drained). */
  lastSeen?: EcsDeployment;
}

/** Resolves after `ms`, or early (false) when the signal aborts. */
export const sleep = (ms: number, signal?: AbortSignal): Promise<boolean> => systemClock.sleep(ms, signal);

export async function watchRollout(ecs: EcsPort, o: WatchOptions): Promise<WatchResult> {
  const clock = o.clock ?? systemClock;
  const base = o.intervalMs ?? 1000;
  const deadline = clock.now() + o.timeoutMs;
  let throttles = 0;
  let lastViews = '';
  let seenUntil = o.since;
  const events: string[] = [];
  let service: EcsService | undefined;
  let lastSeen: EcsDeployment | undefined;

  const poller = o.polls?.poller(ecs, o.cluster) ?? new ServicePoller(ecs, o.cluster, clock);
  let at = clock.now();
  let fast: { orAt: number } | undefined;
  let lastPhaseSince: number | undefined;

  for (;;) {
    if (o.signal?.aborted) return { outcome: { kind: 'interrupted' }, service, events, lastSeen };
    let described: { services: EcsService[] } | undefined;
    try {
      described = await poller.look(o.service, at, { fast, signal: o.signal });
      if (!described) return { outcome: { kind: 'interrupted' }, service, events, lastSeen };
      throttles = 0;
    } catch (e) {
      if (!isThrottling(e)) throw e;
      throttles++;
      o.reporter.emit({ kind: 'progress', app: o.app, step: 'rollout', message: `DescribeServices throttled; retrying in ${pollDelayMs(base, throttles) / 1000}s` });
    }
    if (described) {
      service = described.services.find((s) => s.serviceName === o.service || s.serviceArn?.endsWith(`/${o.service}`));
      lastSeen = service?.deployments?.find((d) => d.id === o.deploymentId) ?? lastSeen;
      const fresh = eventsSince(service?.events, seenUntil);
      if (fresh.length) seenUntil = fresh[fresh.length - 1].at;
      events.push(...fresh.map((e) => e.message));
      const views = deploymentViews(service?.deployments);
      const key = JSON.stringify(views);
      if (key !== lastViews || fresh.length) {
        lastViews = key;
        o.reporter.emit({ kind: 'rollout', app: o.app, deployments: views, newEvents: fresh.map((e) => e.message) });
      }
      const verdict = evaluateRollout({ service }, o.deploymentId, createdAtOf(lastSeen, o.createdAt));
      if (verdict.kind !== 'in-progress') return { outcome: verdict, service, events, lastSeen };
      if (lastPhase(service?.deployments, o.deploymentId)) lastPhaseSince ??= clock.now();
      else lastPhaseSince = undefined;
    }
    const now = clock.now();
    if (now >= deadline) return { outcome: { kind: 'timeout' }, service, events, lastSeen };
    const next = pollDelay(now, { baseMs: base, throttles, startedAt: createdAtOf(lastSeen, o.createdAt), expectedMs: o.expectedRolloutMs, lastPhaseSince });
    // The deadline gets a look of its own, so a timeout is reported on time.
    at = now + Math.min(next.ms, deadline - now);
    fast = next.fast ? { orAt: now + Math.min(base, deadline - now) } : undefined;
  }
}

/** When our deployment was created (epoch ms): as last seen, else as known before the first poll. */
const createdAtOf = (seen: EcsDeployment | undefined, known: number | undefined): number | undefined => (seen?.createdAt !== undefined ? toMs(seen.createdAt) : known);

/** The id of the PRIMARY deployment in an UpdateService/CreateService response. */
export function primaryDeploymentId(service: EcsService): string {
  const id = service.deployments?.find((d) => d.status === 'PRIMARY')?.id;
  if (!id) throw new Error(`the response for service ${service.serviceName} has no PRIMARY deployment`);
  return id;
}

/** The newest event time in a service description (epoch ms): events after it are "new". */
export const latestEventTime = (service: EcsService | undefined): number =>
  Math.max(0, ...(service?.events ?? []).map((e) => toMs(e.createdAt)));
