import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FerryError } from '@ferry/core';
import { findRevision, previousCompleted, pruneSelection, revisionsOfFamily, revisionsToDeregister, type RevisionInfo } from './revisions.ts';
import { describeStoppedTasks, failureEvents, formatFailure } from './failure.ts';
import { tdArn } from './fixtures.test-support.ts';

const img = (t: string) => `127.0.0.1:5000/api:${t}`;
const rev = (n: number, tag: string, status?: string, completedAt?: number): RevisionInfo => ({ arn: tdArn(n), revision: n, image: img(tag), contentTag: tag, status, completedAt });

test('revisionsOfFamily keeps the exact family, newest first', () => {
  const arns = [tdArn(1), tdArn(3), tdArn(2, 'api-worker'), tdArn(2)];
  assert.equal(revisionsOfFamily(arns, 'api').map((r) => r.revision), [3, 2, 1]);
});

const prevCases: Array<[string, RevisionInfo[], string, number | undefined]> = [
  ['the newest completed with another image', [rev(3, 'c', 'completed', 30), rev(2, 'b', 'completed', 20), rev(1, 'a', 'completed', 10)], tdArn(3), 2],
  ['skips a failed revision', [rev(3, 'c', 'completed', 30), rev(2, 'b', 'failed'), rev(1, 'a', 'completed', 10)], tdArn(3), 1],
  ['skips a completed revision with the live image', [rev(3, 'c', 'completed', 30), rev(2, 'c', 'completed', 20), rev(1, 'a', 'completed', 10)], tdArn(3), 1],
  ['after a rollback, the revision rolled back from is the previous one', [rev(3, 'c', 'completed', 30), rev(2, 'b', 'completed', 40)], tdArn(2), 3],
  ['nothing completed', [rev(2, 'b'), rev(1, 'a')], tdArn(2), undefined],
];
for (const [label, revs, live, want] of prevCases) {
  test(`previousCompleted: ${label}`, () => assert.is(previousCompleted(revs, live)?.revision, want));
}

test('revisionsToDeregister keeps the newest N, the live one and the rollback target', () => {
  const revs = [rev(6, 'f', 'failed'), rev(5, 'e', 'failed'), rev(4, 'd', 'failed'), rev(3, 'c', 'completed', 30), rev(2, 'b', 'completed', 20), rev(1, 'a', 'completed', 10)];
  // Live is 3 (the last three failed and were rolled back): keep 6, 5 (newest 2), 3 (live), 2 (previous completed).
  assert.equal(revisionsToDeregister(revs, 2, tdArn(3)).map((r) => r.revision), [4, 1]);
  assert.equal(revisionsToDeregister(revs, 10, tdArn(6)), []);
  assert.equal(revisionsToDeregister(revs, 0, tdArn(6)).map((r) => r.revision), [5, 4, 2, 1]);
});

// pruneSelection: keep N, the live one and the rollback target; never one a RUNNING task uses
// (ListTasks family filter + DescribeTasks taskDefinitionArn, ECS-SEMANTICS §4); oldest first, at most max.
const many = (n: number) => Array.from({ length: n }, (_, i) => rev(n - i, `t${n - i}`, 'completed', n - i));
const pruneCases: Array<[string, RevisionInfo[], number, number, number[], number, { deregister: number[]; inUse: number[]; deferred: number }]> = [
  ['nothing beyond keep', many(5), 10, 5, [], 20, { deregister: [], inUse: [], deferred: 0 }],
  ['oldest first, live and rollback target spared', many(6), 2, 6, [], 20, { deregister: [1, 2, 3, 4], inUse: [], deferred: 0 }],
  ['a revision a running task uses is kept', many(6), 2, 6, [2, 4], 20, { deregister: [1, 3], inUse: [2, 4], deferred: 0 }],
  ['hundreds of revisions: at most max per run, the rest deferred', many(300), 10, 300, [], 20, { deregister: Array.from({ length: 20 }, (_, i) => i + 1), inUse: [], deferred: 270 }],
  ['in-use revisions do not count toward max', many(30), 10, 30, [1, 2], 5, { deregister: [3, 4, 5, 6, 7], inUse: [1, 2], deferred: 13 }],
  ['max 0 deregisters nothing', many(12), 10, 12, [], 0, { deregister: [], inUse: [], deferred: 2 }],
];
for (const [label, revs, keep, live, running, max, want] of pruneCases) {
  test(`pruneSelection: ${label}`, () => {
    const got = pruneSelection(revs, keep, tdArn(live), new Set(running.map((n) => tdArn(n))), max);
    assert.equal({ deregister: got.deregister.map((r) => r.revision), inUse: got.inUse.map((r) => r.revision), deferred: got.deferred }, want);
  });
}

const findCases: Array<[string, string, number]> = [
  ['revision number', '2', 2],
  ['family:revision', 'api:1', 1],
  ['content tag', 'c', 3],
  ['image tag', 'a', 1],
];
const pool = [rev(3, 'c'), rev(2, 'b'), { ...rev(1, 'x'), image: img('a'), contentTag: undefined }];
for (const [label, to, want] of findCases) test(`findRevision by ${label}`, () => assert.is(findRevision(pool, to, 'api').revision, want));

test('findRevision names the known revisions when nothing matches', () => {
  try {
    findRevision(pool, 'nope', 'api');
    assert.unreachable();
  } catch (e) {
    assert.instance(e, FerryError);
    assert.match((e as Error).message, /no ACTIVE revision of api matches "nope".*3 \(c\), 2 \(b\), 1/);
  }
});

test('describeStoppedTasks: reason, exit codes, and repeats collapsed', () => {
  const t = (id: string, exit: number, at: number) => ({
    taskArn: `arn:aws:ecs:r:a:task/c/${id}`,
    stopCode: 'EssentialContainerExited' as const,
    stoppedReason: 'Essential container in task exited',
    stoppedAt: new Date(at),
    containers: [{ name: 'api', exitCode: exit, reason: undefined }],
  });
  const lines = describeStoppedTasks([t('a1', 1, 1), t('b2', 1, 2), t('c3', 137, 3)]);
  assert.equal(lines, [
    'task c3: EssentialContainerExited: Essential container in task exited (api exit 137)',
    'task b2 (and 1 more like it): EssentialContainerExited: Essential container in task exited (api exit 1)',
  ]);
  assert.equal(describeStoppedTasks([{ taskArn: 'x/t9', stoppedReason: 'CannotPullContainerError: not found', containers: [] }]), ['task t9: stopped: CannotPullContainerError: not found']);
});

test('failureEvents keeps the ones that explain a failure', () => {
  const events = [
    '(service api) has started 1 tasks: (task a).',
    '(service api) (deployment ecs-svc/2) deployment failed: tasks failed to start.',
    '(service api) rolling back to deployment ecs-svc/1.',
    '(service api) has reached a steady state.',
  ];
  assert.equal(failureEvents(events), [events[1], events[2]]);
});

test('formatFailure orders reason, tasks, events', () => {
  assert.equal(formatFailure({ rolloutStateReason: 'r', stoppedTasks: ['task t: x'], events: ['e'] }), ['rollout: r', 'stopped task t: x', 'event: e']);
});

test.run();
