import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryReporter } from '@ferry/core';
import type { EcsPort, EcsService } from '@ferry/aws';
import { sleep, watchRollout } from './wait.ts';
import { deployment, service, tdArn } from './fixtures.test-support.ts';

const OURS = 'ecs-svc/2';
const throttle = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });

/** An EcsPort whose DescribeServices answers from a script of snapshots (or errors); the last one repeats. */
function scripted(steps: Array<EcsService | Error>): { port: EcsPort; calls: () => number } {
  let i = 0;
  const port = {
    async describeServices() {
      const step = steps[Math.min(i++, steps.length - 1)];
      if (step instanceof Error) throw step;
      return { services: [step], failures: [] };
    },
  } as unknown as EcsPort;
  return { port, calls: () => i };
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
  const { port } = scripted([Object.assign(new Error('no such cluster'), { name: 'ClusterNotFoundException' })]);
  try {
    await watchRollout(port, opts(new MemoryReporter()));
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /failed to describe service api while watching deployment ecs-svc\/2: ClusterNotFoundException: no such cluster/);
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

test.run();
