import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryReporter } from '@ferry/core';
import type { EcsService } from '@ferry/aws';
import { FakeEcs } from '@ferry/aws/testing';
import { VirtualClock } from '../../core/src/testing/clock.ts';
import { DESCRIBE_SERVICES_MAX } from '@ferry/aws';
import { FAST_POLLS_PER_SECOND, ServicePoller, sharedPolls } from './service-polls.ts';
import { tokenBucket } from './token-bucket.ts';
import { watchRollout } from './wait.ts';
import { deployment, service, tdArn } from './fixtures.test-support.ts';

/** A service whose deployment `id` is IN_PROGRESS (`done` false) or COMPLETED, created at `createdAt`. */
const snapshot = (name: string, createdAt: number, done: boolean): EcsService =>
  service([deployment({ id: `ecs-svc/${name}`, taskDefinition: tdArn(2, name), runningCount: done ? 2 : 0, rolloutState: done ? 'COMPLETED' : 'IN_PROGRESS', createdAt: new Date(createdAt) })], { serviceName: name });

/** FakeEcs whose DescribeServices is timed by the clock: each call is recorded as [ms since t0, names]. */
function timedEcs(clock: VirtualClock, t0: number) {
  const port = new FakeEcs();
  const calls: Array<[number, string]> = [];
  const describe = port.describeServices.bind(port);
  port.describeServices = (cluster, names, read) => (calls.push([clock.now() - t0, [...names].sort().join(',')]), describe(cluster, names, read));
  return { port, calls };
}

/** Watches `name`, started `startMs` after t0, whose rollout shows COMPLETED from `doneMs` after t0. */
async function watchOne(port: FakeEcs, clock: VirtualClock, t0: number, polls: ReturnType<typeof sharedPolls>, name: string, o: { startMs: number; doneMs: number; expectedRolloutMs?: number }) {
  if (o.startMs) await clock.sleep(o.startMs);
  const createdAt = t0 + o.startMs;
  // A script long enough for every poll: IN_PROGRESS until doneMs, then COMPLETED. The fake answers
  // one step per call, so the script is driven by the clock instead.
  port.replay(name, [snapshot(name, createdAt, false)]);
  const fin = clock.sleep(o.doneMs - o.startMs).then(() => port.replay(name, [snapshot(name, createdAt, true)]));
  const w = await watchRollout(port, { app: name, cluster: 'c', service: name, deploymentId: `ecs-svc/${name}`, timeoutMs: 60_000, since: 0, reporter: new MemoryReporter(), createdAt, expectedRolloutMs: o.expectedRolloutMs, polls, clock });
  await fin;
  return { outcome: w.outcome.kind, seenAt: clock.now() - t0 };
}

test('two rollouts in one cluster share each DescribeServices: one call a second for both, not one each', async () => {
  const clock = new VirtualClock();
  const t0 = clock.now();
  const { port, calls } = timedEcs(clock, t0);
  const polls = sharedPolls(clock, tokenBucket(FAST_POLLS_PER_SECOND, clock));
  // The second watcher starts 30 ms after the first (the second app's UpdateService answered later).
  const [a, b] = await Promise.all([watchOne(port, clock, t0, polls, 'api', { startMs: 0, doneMs: 5200 }), watchOne(port, clock, t0, polls, 'worker', { startMs: 30, doneMs: 5200 })]);
  assert.equal([a.outcome, b.outcome], ['completed', 'completed']);
  // Each watcher's first look is made at once; the worker's first call has room for the api's next
  // look, so from then on both are answered together, once a second.
  assert.equal(calls.slice(0, 2), [[0, 'api'], [30, 'api,worker']]);
  assert.ok(calls.slice(2).every(([, names]) => names === 'api,worker'), `shared calls: ${JSON.stringify(calls)}`);
  assert.is(calls.length, 2 + 6, `two first looks, then one call a second until the first after 5.2 s: ${JSON.stringify(calls)}`);
  assert.is(a.seenAt, b.seenAt, 'both completions are seen by the same call');
});

test('faster polls near the expected end serve every rollout of the cluster from one budget', async () => {
  // Without sharing, each of three watchers asked a token for each 250 ms poll (12 a second against
  // a budget of 4): two of them fell back to the 1 s interval and saw COMPLETED up to 1 s late.
  const clock = new VirtualClock();
  const t0 = clock.now();
  const { port, calls } = timedEcs(clock, t0);
  const polls = sharedPolls(clock, tokenBucket(FAST_POLLS_PER_SECOND, clock));
  const names = ['api', 'web', 'worker'];
  const seen = await Promise.all(names.map((n, i) => watchOne(port, clock, t0, polls, n, { startMs: i * 20, doneMs: 3100, expectedRolloutMs: 3000 })));
  assert.equal(seen.map((s) => s.outcome), ['completed', 'completed', 'completed']);
  for (const s of seen) assert.ok(s.seenAt - 3100 <= 250, `seen ${s.seenAt - 3100} ms after the end (calls ${JSON.stringify(calls)})`);
  const fastCalls = calls.filter(([t]) => t >= 2500);
  assert.ok(fastCalls.every(([, n]) => n === 'api,web,worker'), `every call in the window describes all three: ${JSON.stringify(fastCalls)}`);
  const gaps = fastCalls.slice(1).map(([t], i) => t - fastCalls[i][0]);
  assert.ok(fastCalls.length >= 3 && gaps.every((g) => g >= 1000 / FAST_POLLS_PER_SECOND), `one call per 250 ms at most (the budget's rate): ${JSON.stringify(fastCalls)}`);
});

test('a faster look the budget refuses waits for its fallback time; more than 10 due looks take one token per 10', async () => {
  const clock = new VirtualClock();
  const t0 = clock.now();
  const { port, calls } = timedEcs(clock, t0);
  const names = Array.from({ length: DESCRIBE_SERVICES_MAX + 2 }, (_, i) => `s${i}`);
  for (const n of names) port.replay(n, [snapshot(n, t0, false)]);
  let tokens = 1;
  const poller = new ServicePoller(port, 'c', clock, () => tokens-- > 0);
  const answered = await Promise.all(names.map((n) => poller.look(n, t0 + 250, { fast: { orAt: t0 + 1000 } }).then(() => clock.now() - t0)));
  assert.equal(calls, [[250, names.slice(0, DESCRIBE_SERVICES_MAX).join(',')], [1000, names.slice(DESCRIBE_SERVICES_MAX).join(',')]]);
  assert.equal(answered, [...Array(DESCRIBE_SERVICES_MAX).fill(250), 1000, 1000]);
});

test('a call due fills its room with the soonest other looks; the rest wait for their own time', async () => {
  const clock = new VirtualClock();
  const t0 = clock.now();
  const { port, calls } = timedEcs(clock, t0);
  // s00 is due at 1 s; s01..s11 at 1.1 s, 1.2 s, … : the call at 1 s has room for 9 of them.
  const names = Array.from({ length: 12 }, (_, i) => `s${String(i).padStart(2, '0')}`);
  for (const n of names) port.replay(n, [snapshot(n, t0, false)]);
  const poller = new ServicePoller(port, 'c', clock);
  const answered = await Promise.all(names.map((n, i) => poller.look(n, t0 + 1000 + i * 100).then(() => clock.now() - t0)));
  assert.equal(calls, [[1000, names.slice(0, 10).join(',')], [2000, 's10,s11']]);
  assert.equal(answered, [...Array(10).fill(1000), 2000, 2000]);
});

test('a rollout whose own expected end is wrong gets the faster polls of another in its cluster', async () => {
  // api expects 3 s and is right; worker expects 10 s (say, its first rollout had no old task to
  // drain) but ends at 3.1 s too: it is answered by api's faster calls, not 1 s later.
  const clock = new VirtualClock();
  const t0 = clock.now();
  const { port } = timedEcs(clock, t0);
  const polls = sharedPolls(clock, tokenBucket(FAST_POLLS_PER_SECOND, clock));
  const [api, worker] = await Promise.all([
    watchOne(port, clock, t0, polls, 'api', { startMs: 0, doneMs: 3100, expectedRolloutMs: 3000 }),
    watchOne(port, clock, t0, polls, 'worker', { startMs: 10, doneMs: 3100, expectedRolloutMs: 10_000 }),
  ]);
  assert.ok(api.seenAt - 3100 <= 250, `api seen ${api.seenAt - 3100} ms after its end`);
  assert.ok(worker.seenAt - 3100 <= 250, `worker seen ${worker.seenAt - 3100} ms after its end`);
});

test('an aborted look resolves undefined and leaves the others; an error fails every look of its call', async () => {
  const clock = new VirtualClock();
  const t0 = clock.now();
  const { port, calls } = timedEcs(clock, t0);
  for (const n of ['a', 'b']) port.replay(n, [snapshot(n, t0, false)]);
  const poller = new ServicePoller(port, 'c', clock);
  const ac = new AbortController();
  const aborted = poller.look('a', t0 + 500, { signal: ac.signal });
  const other = poller.look('b', t0 + 600);
  ac.abort();
  assert.is(await aborted, undefined);
  assert.ok(await other);
  assert.equal(calls, [[600, 'b']]);
  port.failNext('describeServices', 'ThrottlingException', 'Rate exceeded');
  const failed = await Promise.allSettled([poller.look('a', clock.now()), poller.look('b', clock.now())]);
  assert.equal(failed.map((f) => f.status), ['rejected', 'rejected']);
  assert.is(calls.length, 2, 'one call failed for both');
});

test('pollers are one per port and cluster', () => {
  const polls = sharedPolls(new VirtualClock());
  const a = new FakeEcs();
  assert.is(polls.poller(a, 'c1'), polls.poller(a, 'c1'));
  assert.is.not(polls.poller(a, 'c1'), polls.poller(a, 'c2'));
  assert.is.not(polls.poller(a, 'c1'), polls.poller(new FakeEcs(), 'c1'));
});

test.run();
