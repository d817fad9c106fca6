import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FerryError } from '@ferry/core';
import { FakeEcs } from '@ferry/aws/testing';
import { ManualClock } from '../../core/src/testing/clock.ts';
import { markCompleted } from './records.ts';
import { findRevision, previousCompleted, PRUNE_DESCRIBE_MAX, PRUNE_LOOKBACK, pruneReads, pruneRevisions, pruneSelection, revisionsOfFamily, type RevisionInfo } from './revisions.ts';
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

// pruneSelection with every revision read: keep N, the live one and the rollback target; never one
// a RUNNING task uses (ListTasks family filter + DescribeTasks taskDefinitionArn, ECS-SEMANTICS §4);
// oldest first, at most max.
const many = (n: number) => Array.from({ length: n }, (_, i) => rev(n - i, `t${n - i}`, 'completed', n - i));
const lastFailed = [rev(6, 'f', 'failed'), rev(5, 'e', 'failed'), rev(4, 'd', 'failed'), rev(3, 'c', 'completed', 30), rev(2, 'b', 'completed', 20), rev(1, 'a', 'completed', 10)];
const pruneCases: Array<[string, RevisionInfo[], number, number, number[], number, { deregister: number[]; inUse: number[]; deferred: number }]> = [
  ['nothing beyond keep', many(5), 10, 5, [], 20, { deregister: [], inUse: [], deferred: 0 }],
  ['oldest first, live and rollback target spared', many(6), 2, 6, [], 20, { deregister: [1, 2, 3, 4], inUse: [], deferred: 0 }],
  // Live is 3 (the last three failed and were rolled back): keep 6, 5 (newest 2), 3 (live), 2 (previous completed).
  ['live behind failed revisions: keep N, the live one and its rollback target', lastFailed, 2, 3, [], 20, { deregister: [1, 4], inUse: [], deferred: 0 }],
  ['keep 0', lastFailed, 0, 6, [], 20, { deregister: [1, 2, 4, 5], inUse: [], deferred: 0 }],
  ['a revision a running task uses is kept', many(6), 2, 6, [2, 4], 20, { deregister: [1, 3], inUse: [2, 4], deferred: 0 }],
  ['hundreds of revisions: at most max per run, the rest deferred', many(300), 10, 300, [], 20, { deregister: Array.from({ length: 20 }, (_, i) => i + 1), inUse: [], deferred: 270 }],
  ['in-use revisions do not count toward max', many(30), 10, 30, [1, 2], 5, { deregister: [3, 4, 5, 6, 7], inUse: [1, 2], deferred: 13 }],
  ['max 0 deregisters nothing', many(12), 10, 12, [], 0, { deregister: [], inUse: [], deferred: 2 }],
];
const listed = (revs: RevisionInfo[]) => revs.map(({ arn, revision }) => ({ arn, revision }));
for (const [label, revs, keep, live, running, max, want] of pruneCases) {
  test(`pruneSelection: ${label}`, () => {
    const got = pruneSelection(listed(revs), revs, keep, tdArn(live), new Set(running.map((n) => tdArn(n))), max);
    assert.equal({ deregister: got.deregister.map((r) => r.revision), inUse: got.inUse.map((r) => r.revision), deferred: got.deferred }, want);
  });
}

// Only some revisions read (pruneReads): a revision not read is never deregistered, and the rollback
// target among those read is spared even when a newer one, not read, could be the real one.
const partialCases: Array<[string, RevisionInfo[], number[], number, number, { deregister: number[]; target: number | undefined }]> = [
  ['the revisions not read stay', many(40), [40, 39, 1, 2, 3], 10, 40, { deregister: [1, 2, 3], target: 39 }],
  // 39 (not read) may be the real target; 3, the most recently completed of those read, is spared.
  ['without the look-back, the newest completed of those read is spared', many(40), [40, 1, 2, 3], 10, 40, { deregister: [1, 2], target: 3 }],
  // Rolled back to 2 after 39: 2 completed last, so it is the target, even though it is old.
  ['an old revision a rollback returned to is the target', [...many(40).filter((r) => r.revision !== 2), rev(2, 't2', 'completed', 1000)], [40, 39, 1, 2, 3], 10, 40, { deregister: [1, 3], target: 2 }],
  ['the live one not read: its image unknown, any completed revision may be the target', many(40), [39, 1, 2], 10, 40, { deregister: [1, 2], target: 39 }],
];
for (const [label, revs, read, keep, live, want] of partialCases) {
  test(`pruneSelection, some read: ${label}`, () => {
    const got = pruneSelection(listed(revs), revs.filter((r) => read.includes(r.revision)), keep, tdArn(live), new Set(), 20);
    assert.equal({ deregister: got.deregister.map((r) => r.revision), target: got.rollbackTarget?.revision }, want);
  });
}

// pruneReads: what a run describes, from the listing and the running tasks alone.
const readCases: Array<[string, number, number, number, number[], number, { window: number[]; lookback: number[] }]> = [
  ['steady state: one beyond keep', 11, 10, 11, [], 20, { window: [1], lookback: [10, 9, 8, 7] }],
  ['keep 1, two revisions', 2, 1, 2, [], 20, { window: [1], lookback: [] }],
  ['hundreds: the oldest max + 1, whatever the size', 500, 10, 500, [], 20, { window: Array.from({ length: 21 }, (_, i) => i + 1), lookback: [499, 498, 497, 496] }],
  ['revisions in use are not read', 30, 10, 30, [1, 3], 3, { window: [2, 4, 5, 6], lookback: [29, 28, 27, 26] }],
  ['max 0 reads nothing', 30, 10, 30, [], 0, { window: [], lookback: [] }],
  ['nothing beyond keep reads nothing', 10, 10, 10, [], 20, { window: [], lookback: [] }],
  ['the live one is never in the window (an old revision made live again)', 14, 10, 2, [], 20, { window: [1, 3, 4], lookback: [14, 13, 12, 11] }],
];
for (const [label, size, keep, live, running, max, want] of readCases) {
  test(`pruneReads: ${label}`, () => {
    const got = pruneReads(listed(many(size)), keep, tdArn(live), new Set(running.map((n) => tdArn(n))), max);
    assert.equal({ window: got.window.map((r) => r.revision), lookback: got.lookback.map((r) => r.revision) }, want);
    assert.ok(got.window.length + got.lookback.length + 1 <= PRUNE_DESCRIBE_MAX);
  });
}

// pruneRevisions against the in-memory ECS (FakeEcs): the calls a prune run makes, counted. A
// family of hundreds is described a bounded number of times per run, and the safety rules hold:
// never the live revision, the rollback target, or one a RUNNING task uses (a service of another
// name on the family: its deployment's tasks; ListTasks `family` filter, ECS-SEMANTICS §4).
const FAMILY = 'api';
const CLUSTER = 'main';

/** A FakeEcs with `n` revisions of FAMILY, each its own image; `completed(i)` tags revision i completed at that time (records.ts markCompleted). */
async function familyOf(n: number, completed: (i: number) => number | undefined = (i) => i) {
  const ecs = new FakeEcs();
  ecs.addCluster(CLUSTER);
  for (let i = 1; i <= n; i++) {
    const td = await ecs.registerTaskDefinition({ family: FAMILY, containerDefinitions: [{ name: 'api', image: img(`t${i}`) }] });
    const at = completed(i);
    if (at !== undefined) await markCompleted(ecs, td.taskDefinitionArn!, at);
  }
  ecs.calls.length = 0;
  return ecs;
}

const quiet = { emit: () => undefined };
const prune = (ecs: FakeEcs, live: number, keepRevisions = 10, reporter: { emit: (e: { message?: string }) => void } = quiet) =>
  pruneRevisions(ecs, { project: 'api', family: FAMILY, keepRevisions }, { cluster: CLUSTER, liveArn: FakeEcs.arn(FAMILY, live) }, reporter as never, { take: () => true, clock: new ManualClock() });
const revs = (arns: string[]) => arns.map((a) => Number(a.split(':').pop()));
const active = async (ecs: FakeEcs) => revs(await ecs.listTaskDefinitions(FAMILY)).sort((a, b) => a - b);

test('pruneRevisions: a family of 500 revisions, 20 deregistered per run, DescribeTaskDefinition bounded', async () => {
  const ecs = await familyOf(500);
  const lines: string[] = [];
  const done = await prune(ecs, 500, 10, { emit: (e) => void (e.message && lines.push(e.message)) });
  assert.equal(revs(done), Array.from({ length: 20 }, (_, i) => i + 1), 'the oldest 20');
  // Before: one DescribeTaskDefinition per ACTIVE revision (500). Now: the live one, the revision
  // before it (the rollback target, found at once), and the oldest 21.
  assert.is(ecs.count('describeTaskDefinition'), 23);
  assert.ok(ecs.count('describeTaskDefinition') <= PRUNE_DESCRIBE_MAX);
  assert.is(ecs.count('listTaskDefinitions'), 1);
  assert.is(ecs.count('listFamilyTasks'), 1);
  assert.is(ecs.count('deregisterTaskDefinition'), 20);
  assert.match(lines.join('\n'), /deregistered 20 old revision\(s\): api:1, .*api:20; 470 more left for the next deploy \(at most 20 per run\)/);
  // The next runs go on where this one stopped, at the same cost.
  ecs.calls.length = 0;
  assert.equal(revs(await prune(ecs, 500)), Array.from({ length: 20 }, (_, i) => i + 21));
  assert.is(ecs.count('describeTaskDefinition'), 23);
});

test('pruneRevisions: steady state (one revision beyond keep) reads three revisions', async () => {
  const ecs = await familyOf(11);
  assert.equal(revs(await prune(ecs, 11)), [1]);
  assert.equal(ecs.calls.filter((c) => c.startsWith('describeTaskDefinition')), ['describeTaskDefinition api:11', 'describeTaskDefinition api:10', 'describeTaskDefinition api:1']);
  assert.equal(await active(ecs), Array.from({ length: 10 }, (_, i) => i + 2));
});

test('pruneRevisions: no more than keepRevisions reads no revision', async () => {
  const ecs = await familyOf(10);
  assert.equal(await prune(ecs, 10), []);
  assert.equal(ecs.calls, ['listTaskDefinitions api']);
});

test('pruneRevisions: the look-back reads on past failed revisions to the rollback target, at most PRUNE_LOOKBACK', async () => {
  // 500 revisions; 497..499 failed (never completed), 496 was live before this deploy.
  const ecs = await familyOf(500, (i) => (i >= 497 && i <= 499 ? undefined : i));
  await prune(ecs, 500);
  const described = revs(ecs.calls.filter((c) => c.startsWith('describeTaskDefinition')));
  assert.equal(described.filter((n) => n > 21).sort((a, b) => b - a), [500, 499, 498, 497, 496]);
  assert.ok(described.length <= PRUNE_DESCRIBE_MAX);
  // Nothing completed among the newest: the look-back stops at PRUNE_LOOKBACK revisions.
  const none = await familyOf(500, (i) => (i > 400 ? undefined : i));
  await prune(none, 500);
  assert.is(none.count('describeTaskDefinition'), 1 + PRUNE_LOOKBACK + 21);
});

test('pruneRevisions: never the rollback target, even an old one a rollback returned to', async () => {
  // Revision 5 was made live again by a rollback after 299 (its completed-at the newest), then 300 deployed.
  const ecs = await familyOf(300, (i) => (i === 5 ? 10_000 : i));
  const done = revs(await prune(ecs, 300));
  assert.not.ok(done.includes(5), 'the rollback target stays');
  assert.equal(done, [1, 2, 3, 4, ...Array.from({ length: 16 }, (_, i) => i + 6)]);
  assert.ok(ecs.count('describeTaskDefinition') <= PRUNE_DESCRIBE_MAX);
});

test('pruneRevisions: never a revision a RUNNING task uses (another service on the family), nor the live one', async () => {
  const ecs = await familyOf(40);
  // A second service on the family runs revision 3: its tasks are RUNNING once its deployment completes.
  await ecs.createService({ cluster: CLUSTER, serviceName: 'api-canary', taskDefinition: FakeEcs.arn(FAMILY, 3), desiredCount: 1 });
  // Its deployment completes on the second poll (FakeEcs: `polls` 1 by default).
  for (let i = 0; i < 2; i++) await ecs.describeServices(CLUSTER, ['api-canary']);
  assert.is(ecs.peek(CLUSTER, 'api-canary')?.runningCount, 1);
  ecs.calls.length = 0;
  const lines: string[] = [];
  // Live is revision 2 (rolled back to it): beyond keep but never pruned.
  const done = revs(await prune(ecs, 2, 10, { emit: (e) => void (e.message && lines.push(e.message)) }));
  assert.not.ok(done.includes(3), 'in use by a running task');
  assert.not.ok(done.includes(2), 'live');
  assert.equal(done, [1, ...Array.from({ length: 19 }, (_, i) => i + 4)]);
  assert.match(lines.join('\n'), /kept api:3 \(running tasks use them\)/);
  // The revision in use is not even read.
  assert.not.ok(ecs.calls.includes('describeTaskDefinition api:3'));
});

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
