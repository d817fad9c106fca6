import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FerryError, MemoryReporter } from '@ferry/core';
import type { EcsService } from '@ferry/aws';
import { awsError, FakeEcs } from '@ferry/aws/testing';
import { ManualClock } from '../../core/src/testing/clock.ts';
import { LAST_PHASE_FAST_MS, lastPhase, pollDelay, sleep, watchRollout } from './wait.ts';
import { FAST_POLLS_PER_SECOND, sharedPolls } from './service-polls.ts';
import { tokenBucket } from './token-bucket.ts';
import { deployment, service, tdArn } from './fixtures.test-support.ts';

const OURS = 'ecs-svc/2';
const throttle = () => awsError('ThrottlingException', 'Rate exceeded');

/** ECS whose DescribeServices of `api` answers from a script of snapshots (or errors); the last one repeats. */
function scripted(steps: Array<EcsService | Error>): { port: FakeEcs; calls: () => number } {
  const port = new FakeEcs().replay('api', steps);
  return { port, calls: () => port.count('describeServices') };
}

const inProgress = service([deployment({ id: OURS, taskDefinition: tdArn(2), runningCount: 0, rolloutState: 'IN_PROGRESS' }), deployment({ status: 'ACTIVE' })], {
  events: [{ id: 'e1', createdAt: new Date(2000), message: '(service api) has started 1 tasks: (task a).' }],
});
const done = service([deployment({ id: OURS, taskDefinition: tdArn(2) })], {
  events: [
    { id: 'e3', createdAt: new Date(4000), message: '(service api) has reached a steady state.' },
    { id: 'e2', createdAt: new Date(3000), message: '(service api) (deployment ecs-svc/2) deployment completed.' },
    { id: 'e1', createdAt: new Date(2000), message: '(service api) has started 1 tasks: (task a).' },
  ],
});
const opts = (reporter: MemoryReporter, over: Partial<Parameters<typeof watchRollout>[1]> = {}) => ({
  app: 'api',
  cluster: 'c',
  service: 'api',
  deploymentId: OURS,
  timeoutMs: 10_000,
  intervalMs: 5,
  since: 1000,
  reporter,
  ...over,
});

test('watches until our deployment completes, emitting each change and each new event once', async () => {
  const r = new MemoryReporter();
  const { port } = scripted([inProgress, inProgress, done]);
  const w = await watchRollout(port, opts(r));
  assert.is(w.outcome.kind, 'completed');
  const rollouts = r.events.filter((e) => e.kind === 'rollout');
  assert.is(rollouts.length, 2, 'the repeated snapshot is not re-emitted');
  assert.equal(w.events, ['(service api) has started 1 tasks: (task a).', '(service api) (deployment ecs-svc/2) deployment completed.', '(service api) has reached a steady state.']);
  assert.is(w.lastSeen?.id, OURS);
});

test('rides out throttling with backoff and reports it', async () => {
  const r = new MemoryReporter();
  const { port, calls } = scripted([throttle(), throttle(), done]);
  const w = await watchRollout(port, opts(r));
  assert.is(w.outcome.kind, 'completed');
  assert.is(calls(), 3);
  assert.is(r.events.filter((e) => e.kind === 'progress' && /throttled/.test(e.message)).length, 2);
});

test('other errors stop the watch as a FerryError naming what was attempted', async () => {
  const { port } = scripted([awsError('ClusterNotFoundException', 'no such cluster')]);
  try {
    await watchRollout(port, opts(new MemoryReporter()));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, FerryError);
    assert.match((e as Error).message, /^failed to describeServices api: ClusterNotFoundException: no such cluster$/);
  }
});

test('a circuit-breaker rollback is not a success', async () => {
  const back = service([deployment({ id: 'ecs-svc/1' })]);
  const w = await watchRollout(scripted([inProgress, back]).port, opts(new MemoryReporter()));
  assert.is(w.outcome.kind, 'rolled-back');
});

test('times out', async () => {
  const w = await watchRollout(scripted([inProgress]).port, opts(new MemoryReporter(), { timeoutMs: 30 }));
  assert.is(w.outcome.kind, 'timeout');
  assert.ok(w.service, 'the last snapshot is kept for the report');
});

test('stops on the abort signal', async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 30);
  const w = await watchRollout(scripted([inProgress]).port, opts(new MemoryReporter(), { intervalMs: 1000, signal: ac.signal }));
  assert.is(w.outcome.kind, 'interrupted');
});

test('sleep resolves false when aborted, true otherwise', async () => {
  assert.is(await sleep(1), true);
  const ac = new AbortController();
  ac.abort();
  assert.is(await sleep(1000, ac.signal), false);
});


test('pollDelay: base interval, the window of faster polls around the expected completion, throttling first', () => {
  const base = 1000;
  const start = 100_000;
  const expectedMs = 2400; // window [101_900, 103_900)
  const at = (now: number, throttles = 0) => pollDelay(now, { baseMs: base, throttles, startedAt: start, expectedMs });
  assert.equal(pollDelay(start, { baseMs: base, throttles: 0 }), { ms: 1000, fast: false }, 'no estimate: the base interval');
  assert.equal(pollDelay(start, { baseMs: base, throttles: 0, startedAt: start, expectedMs: 0 }), { ms: 1000, fast: false }, 'a zero estimate is none');
  assert.equal(at(start), { ms: 1000, fast: false }, 'long before the window');
  assert.equal(at(start + 1100), { ms: 800, fast: false }, 'the poll before the window moves to its start');
  assert.equal(at(start + 1850), { ms: 250, fast: false }, 'never shorter than the fast interval before the window');
  assert.equal(at(start + 1900), { ms: 250, fast: true }, 'window opens 500 ms before the expected completion');
  assert.equal(at(start + 3899), { ms: 250, fast: true }, 'still inside 1.5 s after it');
  assert.equal(at(start + 3900), { ms: 1000, fast: false }, 'after the window: the base interval again');
  assert.equal(at(start + 2000, 2), { ms: 4000, fast: false }, 'throttled: back off, no fast polls');
  assert.equal(pollDelay(start + 2000, { baseMs: 100, throttles: 0, startedAt: start, expectedMs }), { ms: 100, fast: true }, 'a base faster than the fast interval stays');
});

test('tokenBucket: the fast-poll budget allows a burst, then its rate', () => {
  const take = tokenBucket(FAST_POLLS_PER_SECOND);
  const t0 = Date.now();
  let granted = 0;
  for (let i = 0; i < 10; i++) if (take(t0)) granted++;
  assert.is(granted, FAST_POLLS_PER_SECOND, 'a burst of at most FAST_POLLS_PER_SECOND');
  assert.not.ok(take(t0), 'empty');
  assert.ok(take(t0 + 1000 / FAST_POLLS_PER_SECOND), 'one more after 1/rate seconds');
  assert.not.ok(take(t0 - 5000), 'a clock going backwards refills nothing');
});

test('with an expected rollout time the watcher polls faster near the end, and only then', async () => {
  const clock = new ManualClock();
  const r = new MemoryReporter();
  const createdAt = new Date(clock.now());
  const running = service([deployment({ id: OURS, taskDefinition: tdArn(2), runningCount: 1, rolloutState: 'IN_PROGRESS', createdAt }), deployment({ status: 'ACTIVE' })]);
  const complete = service([deployment({ id: OURS, taskDefinition: tdArn(2), rolloutState: 'COMPLETED', createdAt })]);
  // Polls 1-8 in progress, then completed: with base 400 ms and an expected 1.2 s, the polls land
  // at the window [0.7 s, 2.7 s) every 250 ms; without the estimate they would be 400 ms apart.
  const port = new FakeEcs().replay('api', [...Array(8).fill(running), complete]);
  const times: number[] = [];
  port.now = () => clock.now();
  const describe = port.describeServices.bind(port);
  port.describeServices = (...a) => (times.push(clock.now()), describe(...a));
  const w = await watchRollout(port, opts(r, { intervalMs: 400, expectedRolloutMs: 1200, clock, polls: sharedPolls(clock, tokenBucket(FAST_POLLS_PER_SECOND, clock)) }));
  assert.is(w.outcome.kind, 'completed');
  const at = times.map((t) => t - createdAt.getTime());
  assert.equal(at, [0, 400, 700, 950, 1200, 1450, 1700, 1950, 2200], `poll times: ${at.join(', ')}`);
});

test('without a fast-poll budget the watcher keeps the base interval', async () => {
  const clock = new ManualClock();
  const createdAt = new Date(clock.now());
  const running = service([deployment({ id: OURS, taskDefinition: tdArn(2), runningCount: 1, rolloutState: 'IN_PROGRESS', createdAt })]);
  const complete = service([deployment({ id: OURS, taskDefinition: tdArn(2), rolloutState: 'COMPLETED', createdAt })]);
  const port = new FakeEcs().replay('api', [running, running, running, complete]);
  const times: number[] = [];
  const describe = port.describeServices.bind(port);
  port.describeServices = (...a) => (times.push(clock.now()), describe(...a));
  await watchRollout(port, opts(new MemoryReporter(), { intervalMs: 400, expectedRolloutMs: 1200, clock, polls: sharedPolls(clock, () => false) }));
  assert.equal(times.map((t) => t - createdAt.getTime()), [0, 400, 700, 1100]);
});


test('lastPhase: our deployment runs every task it wants and no other deployment runs any', () => {
  const ours = (running: number, desired = 2, status = 'PRIMARY') => deployment({ id: OURS, status, runningCount: running, desiredCount: desired, rolloutState: 'IN_PROGRESS' });
  const old = (running: number) => deployment({ id: 'ecs-svc/1', status: 'ACTIVE', runningCount: running, desiredCount: 0 });
  const table: Array<[string, Parameters<typeof lastPhase>[0], boolean]> = [
    ['new tasks starting, old ones serving', [ours(1), old(2)], false],
    ['all new tasks running, old ones still draining', [ours(2), old(1)], false],
    ['all new tasks running, old ones stopped', [ours(2), old(0)], true],
    ['the old deployment has left the array', [ours(2)], true],
    ['ours is no longer PRIMARY (a rollback started)', [ours(2, 2, 'ACTIVE'), deployment({ id: 'ecs-svc/3', status: 'PRIMARY', runningCount: 0, desiredCount: 2 })], false],
    ['ours is not in the array', [old(0)], false],
    ['no deployments at all', undefined, false],
  ];
  for (const [what, deployments, expected] of table) assert.is(lastPhase(deployments, OURS), expected, what);
});

test('pollDelay: the last phase opens a window of faster polls of its own, whatever the estimate', () => {
  const since = 50_000;
  assert.equal(pollDelay(since, { baseMs: 1000, throttles: 0, lastPhaseSince: since }), { ms: 250, fast: true }, 'no estimate: fast from the last phase on');
  assert.equal(pollDelay(since + LAST_PHASE_FAST_MS - 1, { baseMs: 1000, throttles: 0, lastPhaseSince: since }), { ms: 250, fast: true }, 'until LAST_PHASE_FAST_MS later');
  assert.equal(pollDelay(since + LAST_PHASE_FAST_MS, { baseMs: 1000, throttles: 0, lastPhaseSince: since }), { ms: 1000, fast: false }, 'then the base interval');
  assert.equal(pollDelay(since, { baseMs: 1000, throttles: 0, startedAt: 0, expectedMs: 200_000, lastPhaseSince: since }), { ms: 250, fast: true }, 'an estimate far off does not keep it slow');
  assert.equal(pollDelay(since, { baseMs: 1000, throttles: 1, lastPhaseSince: since }), { ms: 2000, fast: false }, 'throttled: back off first');
});

test('without an expected rollout time the watcher polls faster once the old tasks have stopped', async () => {
  // A service's first update: no ferry:rollout-ms yet. Polls at the 1 s base until the old
  // deployment has no task running and ours runs all of its own, then every 250 ms; ECS marks
  // COMPLETED ~2 s later in the sandbox.
  const clock = new ManualClock();
  const createdAt = new Date(clock.now());
  const d = (running: number, oldRunning: number) => service([deployment({ id: OURS, taskDefinition: tdArn(2), runningCount: running, desiredCount: 1, rolloutState: 'IN_PROGRESS', createdAt }), deployment({ id: 'ecs-svc/1', status: 'ACTIVE', runningCount: oldRunning, desiredCount: 0 })], { desiredCount: 1, runningCount: running + oldRunning });
  const complete = service([deployment({ id: OURS, taskDefinition: tdArn(2), runningCount: 1, desiredCount: 1, rolloutState: 'COMPLETED', createdAt })], { desiredCount: 1, runningCount: 1 });
  const port = new FakeEcs().replay('api', [d(0, 1), d(1, 1), d(1, 0), d(1, 0), d(1, 0), complete]);
  const times: number[] = [];
  const describe = port.describeServices.bind(port);
  port.describeServices = (...a) => (times.push(clock.now()), describe(...a));
  const w = await watchRollout(port, opts(new MemoryReporter(), { intervalMs: 1000, clock, polls: sharedPolls(clock, tokenBucket(FAST_POLLS_PER_SECOND, clock)) }));
  assert.is(w.outcome.kind, 'completed');
  assert.equal(times.map((t) => t - createdAt.getTime()), [0, 1000, 2000, 2250, 2500, 2750]);
});

test.run();
