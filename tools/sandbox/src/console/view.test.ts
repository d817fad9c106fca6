import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { T0, World } from '../ecs/scheduler/test-fixtures.ts';
import type { LogsState } from '../logs/index.ts';
import { CONSOLE_LIMITS, consoleView, shortTaskDefinition, type ConsoleSources } from './view.ts';

const noLogs: LogsState = { groups: {} };
const view = (over: Partial<ConsoleSources>) => consoleView({ now: T0, logs: noLogs, repositories: [], ...over });

/** A service mid-rollout: web:1 COMPLETED with 2 running tasks, web:2 IN_PROGRESS with 1 pending. */
function rollout() {
  const w = new World({ desired: 2, targetGroup: 'arn:tg' });
  const old = w.completed(w.deploy(1));
  const [a, b] = w.tasks(old, 2);
  const next = w.deploy(2);
  const [c] = w.tasks(next, 1, { status: 'PROVISIONING' });
  // What CreateService tags a service behind a target group with (its load balancer's URL).
  w.svc.tags = [{ key: 'ferry:sandbox-url', value: 'http://web-lb.elb.localhost:9001' }];
  a._port = 7001;
  b._port = 7002;
  w.svc.events.unshift({ id: 'e1', createdAt: T0 / 1000, message: '(service web) has started 2 tasks.' }, { id: 'e0', createdAt: T0 / 1000 - 1, message: 'older' });
  return { w, old, next, a, b, c };
}

test('services: deployments with their task definition, rollout state and counts; events newest first', () => {
  const { w, old, next } = rollout();
  const [svc] = view({ ecs: w.ecs }).services;
  assert.is(svc.name, 'web');
  assert.is(svc.cluster, 'c');
  assert.is(svc.taskDefinition, 'web:2');
  assert.equal([svc.desired, svc.running, svc.pending], [2, 2, 1]);
  assert.equal(
    svc.deployments.map((d) => [d.id, d.status, d.taskDefinition, d.rolloutState, d.desired, d.running, d.pending, d.failed]),
    [
      [next.id, 'PRIMARY', 'web:2', 'IN_PROGRESS', 2, 0, 1, 0],
      [old.id, 'ACTIVE', 'web:1', 'COMPLETED', 2, 2, 0, 0],
    ],
  );
  assert.is(svc.deployments[1].rolloutStateReason, `ECS deployment ${old.id} completed.`);
  assert.equal(svc.events.map((e) => e.message), ['(service web) has started 2 tasks.', 'older']);
  assert.is(svc.events[0].at, new Date(T0).toISOString());
});

test('load balancer: the URL and the healthy RUNNING tasks as targets; none without a load balancer', () => {
  const { w, a, b } = rollout();
  const [svc] = view({ ecs: w.ecs }).services;
  assert.is(svc.url, 'http://web-lb.elb.localhost:9001');
  assert.equal(svc.targets, [
    { task: b.id, address: '127.0.0.1:7002' },
    { task: a.id, address: '127.0.0.1:7001' },
  ], 'newest first');
  w.svc.tags = [];
  const bare = view({ ecs: w.ecs }).services[0];
  assert.is(bare.url, undefined);
  assert.equal(bare.targets, []);
});

test('tasks: newest first, live ones and the newest stopped ones with their stop reasons', () => {
  const { w, old } = rollout();
  const stopped = w.tasks(old, CONSOLE_LIMITS.stoppedTasks + 3, { status: 'STOPPED' });
  for (const t of stopped) Object.assign(t, { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' });
  stopped[stopped.length - 1].containers[0] = { ...stopped[stopped.length - 1].containers[0], exitCode: 3, reason: 'exit 3' };
  const { tasks } = view({ ecs: w.ecs });
  assert.is(tasks.length, 3 + CONSOLE_LIMITS.stoppedTasks, 'the 3 live tasks and the newest stopped ones');
  assert.is(tasks[0].id, stopped[stopped.length - 1].id);
  assert.equal(tasks[0].containers, [{ name: 'app', lastStatus: 'STOPPED', health: 'UNKNOWN', exitCode: 3, reason: 'exit 3' }]);
  assert.is(tasks[0].stoppedReason, 'Essential container in task exited');
  assert.is(tasks[0].stopCode, 'EssentialContainerExited');
  assert.ok(tasks[0].stoppedAt);
  assert.not.ok(tasks.some((t) => t.id === stopped[0].id), 'the oldest stopped tasks are left out');
  const pending = tasks.find((t) => t.lastStatus === 'PROVISIONING')!;
  assert.equal([pending.service, pending.taskDefinition, pending.health, pending.desiredStatus], ['web', 'web:2', 'UNKNOWN', 'RUNNING']);
  assert.not.ok(JSON.stringify(tasks).includes('_port'), 'no internal fields');
});

test('task logs: the newest lines of each awslogs container stream, oldest first; none without awslogs', () => {
  const { w, a } = rollout();
  const stream = `web/app/${a.id}`;
  const events = Array.from({ length: CONSOLE_LIMITS.logLines + 5 }, (_, i) => ({ timestamp: T0 + i, message: `line ${i}`, ingestionTime: T0 + i }));
  const logs: LogsState = { groups: { '/ecs/web': { name: '/ecs/web', creationTime: T0, streams: { [stream]: { name: stream, creationTime: T0, events } } } } };
  assert.equal(view({ ecs: w.ecs, logs }).tasks.find((t) => t.id === a.id)!.logs, [], 'web:1 has no logConfiguration');
  w.ecs.taskDefinitions.web[0].containerDefinitions[0].logConfiguration = { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/web', 'awslogs-stream-prefix': 'web' } };
  const [log] = view({ ecs: w.ecs, logs }).tasks.find((t) => t.id === a.id)!.logs;
  assert.equal([log.container, log.group, log.stream], ['app', '/ecs/web', stream]);
  assert.is(log.lines.length, CONSOLE_LIMITS.logLines);
  assert.is(log.lines[0].message, 'line 5');
  assert.is(log.lines[log.lines.length - 1].message, `line ${CONSOLE_LIMITS.logLines + 4}`);
});

test('clusters count active services and RUNNING tasks; no ECS part: empty lists', () => {
  const { w } = rollout();
  assert.equal(view({ ecs: w.ecs }).clusters, [{ name: 'c', status: 'ACTIVE', services: 1, runningTasks: 2 }]);
  w.svc.status = 'INACTIVE';
  assert.equal(view({ ecs: w.ecs }).services, []);
  const none = view({});
  assert.equal([none.ecs, none.clusters, none.services, none.tasks], [false, [], [], []]);
});

test('repositories sorted by name with their newest images and tags', () => {
  const images = Array.from({ length: CONSOLE_LIMITS.images + 2 }, (_, i) => ({ digest: `sha256:${i}`, tags: i === 0 ? ['latest', 'v9'] : [], pushedAt: T0 - i }));
  const { repositories } = view({ repositories: [{ name: 'zeta', uri: 'h/zeta', images: [] }, { name: 'apps/web', uri: 'h/apps/web', images }] });
  assert.equal(repositories.map((r) => r.name), ['apps/web', 'zeta']);
  assert.is(repositories[0].images.length, CONSOLE_LIMITS.images);
  assert.equal(repositories[0].images[0], { digest: 'sha256:0', tags: ['latest', 'v9'], pushedAt: new Date(T0).toISOString() });
});

test('shortTaskDefinition', () => {
  for (const [arn, short] of [
    ['arn:aws:ecs:us-east-1:000000000000:task-definition/web:3', 'web:3'],
    ['web:3', 'web:3'],
  ])
    assert.is(shortTaskDefinition(arn), short);
});

test.run();
