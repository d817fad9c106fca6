// history, rollback and run read the newest revisions of a family, only as many as they need
// (revisions.ts: revisionLister, historyReads, rollbackStep, tagSearchStep). The pure decisions get
// tables; the reads are counted on the in-memory ECS (FakeEcs), whose ListTaskDefinitions page
// follows the ECS model (ListTaskDefinitionsRequest in libs/ferry/core/models/ecs.json, botocore
// ecs/2014-11-13 service-2.json): `sort: DESC` lists the newest revision first, `maxResults` is
// 1–100 ("This value can be between 1 and 100"), `nextToken` is opaque, and `familyPrefix` is "the
// full family name" (AWS answers nothing for a mere prefix: captured in getmoto/moto#2602).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FerryError } from '@ferry/core';
import { FakeEcs } from '@ferry/aws/testing';
import { awsErrorName } from '@ferry/aws';
import { appConfig, sandboxEnv, tdArn } from './fixtures.test-support.ts';
import { migrationTags } from './migrate.ts';
import { markCompleted } from './records.ts';
import { checkMigrationsUnread, planRollback } from './rollback.ts';
import {
  findNamedRevision,
  findRollbackTarget,
  HISTORY_MARGIN,
  historyReads,
  historyRevisions,
  listRevisions,
  previousCompleted,
  revisionFromDescribe,
  REVISION_READS_MAX,
  ROLLBACK_PAGE,
  rollbackStep,
  tagSearchStep,
  type RevisionInfo,
} from './revisions.ts';

const FAMILY = 'api';
const img = (t: string) => `127.0.0.1:5000/api:${t}`;
const rev = (n: number, tag: string, status?: string, completedAt?: number): RevisionInfo => ({ arn: tdArn(n), revision: n, image: img(tag), contentTag: tag, status, completedAt });
const nums = (rs: Array<{ revision: number }>) => rs.map((r) => r.revision);
const listedOf = (n: number) => Array.from({ length: n }, (_, i) => ({ arn: tdArn(n - i), revision: n - i }));

/**
 * A FakeEcs with `n` revisions of FAMILY (image t<i>), and a service `api` running revision `live`.
 * `completed(i)`: when revision i's rollout completed (records.ts markCompleted), or undefined.
 */
async function familyOf(n: number, live = n, completed: (i: number) => number | undefined = (i) => i) {
  const ecs = new FakeEcs();
  ecs.addCluster(sandboxEnv.cluster);
  for (let i = 1; i <= n; i++) {
    const td = await ecs.registerTaskDefinition({ family: FAMILY, containerDefinitions: [{ name: 'api', image: img(`t${i}`) }] });
    const at = completed(i);
    if (at !== undefined) await markCompleted(ecs, td.taskDefinitionArn!, at);
  }
  await ecs.registerTaskDefinition({ family: 'api-worker', containerDefinitions: [{ name: 'w', image: img('w') }] });
  await ecs.createService({ cluster: sandboxEnv.cluster, serviceName: 'api', taskDefinition: FakeEcs.arn(FAMILY, live), desiredCount: 1 });
  await ecs.describeServices(sandboxEnv.cluster, ['api']); // the rollout completes
  ecs.calls.length = 0;
  return ecs;
}

const reads = (ecs: FakeEcs) => ({ describe: ecs.count('describeTaskDefinition'), listPages: ecs.count('listTaskDefinitionPage'), listAll: ecs.count('listTaskDefinitions') });
const resolved = { app: appConfig(), env: sandboxEnv, workspaceRoot: '/w', projectRoot: '/w/apps/api' } as Parameters<typeof planRollback>[1];
const ports = (ecs: FakeEcs) => ({ ecs, imageExists: async () => true });
const failure = async (p: Promise<unknown>): Promise<FerryError> => {
  try {
    await p;
  } catch (e) {
    assert.instance(e, FerryError);
    return e as FerryError;
  }
  throw new Error('expected a failure');
};

// --- the fake's ListTaskDefinitions page, as the model has it --------------------------------------

test('FakeEcs listTaskDefinitionPage: newest first, maxResults a page, nextToken to go on, the full family name only', async () => {
  const ecs = await familyOf(7);
  const p1 = await ecs.listTaskDefinitionPage(FAMILY, { maxResults: 3 });
  assert.equal(nums(p1.arns.map((arn) => ({ revision: Number(arn.split(':').pop()) }))), [7, 6, 5]);
  assert.ok(p1.nextToken);
  const p2 = await ecs.listTaskDefinitionPage(FAMILY, { maxResults: 3, nextToken: p1.nextToken });
  const p3 = await ecs.listTaskDefinitionPage(FAMILY, { maxResults: 3, nextToken: p2.nextToken });
  assert.equal([...p2.arns, ...p3.arns].map((a) => a.split('/').pop()), ['api:4', 'api:3', 'api:2', 'api:1']);
  assert.is(p3.nextToken, undefined, 'the last page has no token');
  assert.equal((await ecs.listTaskDefinitionPage('ap', { maxResults: 100 })).arns, [], 'a prefix of the family is not the family');
  assert.ok((await ecs.listTaskDefinitionPage(FAMILY, { maxResults: 100 })).arns.every((a) => !a.includes('api-worker')));
  await ecs.deregisterTaskDefinition(FakeEcs.arn(FAMILY, 6));
  assert.ok(!(await ecs.listTaskDefinitionPage(FAMILY, { maxResults: 100 })).arns.includes(FakeEcs.arn(FAMILY, 6)), 'ACTIVE only');
  for (const bad of [0, 101]) {
    const e = await failure(ecs.listTaskDefinitionPage(FAMILY, { maxResults: bad }));
    assert.is(awsErrorName(e), 'InvalidParameterException', `maxResults ${bad}`);
  }
  assert.is(awsErrorName(await failure(ecs.listTaskDefinitionPage(FAMILY, { maxResults: 5, nextToken: 'garbage' }))), 'InvalidParameterException');
});

// --- pure decisions -----------------------------------------------------------------------------

const historyCases: Array<[string, number, number, string | undefined, number[]]> = [
  ['a short family: every revision', 4, 20, tdArn(4), [4, 3, 2, 1]],
  ['500 revisions, limit 20: the newest 20 + margin', 500, 20, tdArn(500), Array.from({ length: 20 + HISTORY_MARGIN }, (_, i) => 500 - i)],
  ['the live revision beyond the window is read too', 500, 2, tdArn(100), [500, 499, 498, 497, 496, 495, 494, 100]],
  ['no service: the window alone', 500, 1, undefined, [500, 499, 498, 497, 496, 495]],
];
for (const [label, n, limit, live, want] of historyCases) {
  test(`historyReads: ${label}`, () => assert.equal(nums(historyReads(listedOf(n), limit, live)), want));
}

// rollbackStep: the target is previousCompleted of what was read (most recently completed, another
// image, not the live one); otherwise read on a page at a time, up to REVISION_READS_MAX.
const stepCases: Array<[string, RevisionInfo[], number, number, boolean, string]> = [
  ['the candidate in the first page', [rev(12, 'l', 'completed', 12), rev(11, 'k', 'completed', 11)], 12, ROLLBACK_PAGE, true, 'target 11'],
  ['rolled back to 9, then 11 deployed: 9 completed last, it is the target', [rev(11, 'k', 'completed', 30), rev(10, 'j', 'completed', 10), rev(9, 'i', 'completed', 20)], 11, 3, false, 'target 9'],
  ['no candidate, more listed: the next page', [rev(500, 'x', 'completed', 1), rev(499, 'y')], 500, ROLLBACK_PAGE, true, `read ${ROLLBACK_PAGE}`],
  ['no candidate near the bound: what is left of it', [rev(500, 'x', 'completed', 1)], 500, REVISION_READS_MAX - 3, true, 'read 3'],
  ['no candidate at the bound: stop', [rev(500, 'x', 'completed', 1)], 500, REVISION_READS_MAX, true, 'bound'],
  ['no candidate and the family read whole', [rev(2, 'b'), rev(1, 'a')], 2, 2, false, 'none'],
];
for (const [label, read, live, prefix, more, want] of stepCases) {
  test(`rollbackStep: ${label}`, () => {
    const s = rollbackStep(read, tdArn(live), prefix, more);
    assert.is(s.kind === 'target' ? `target ${s.target.revision}` : s.kind === 'read' ? `read ${s.count}` : s.kind, want);
  });
}

test('tagSearchStep: the newest match among those read; otherwise on to the bound', () => {
  const read = [rev(9, 'b'), rev(8, 'a'), rev(7, 'b')];
  const found = tagSearchStep(read, 'b', FAMILY, 3, true);
  assert.is(found.kind === 'found' && found.found.revision, 9);
  assert.equal(tagSearchStep(read, 'z', FAMILY, 3, true), { kind: 'read', count: ROLLBACK_PAGE });
  assert.equal(tagSearchStep(read, 'z', FAMILY, 3, false), { kind: 'none' });
  assert.equal(tagSearchStep(read, 'z', FAMILY, REVISION_READS_MAX, true), { kind: 'bound' });
});

// --- reads counted on FakeEcs ---------------------------------------------------------------------

test('history of a 500-revision family: 25 DescribeTaskDefinition and one ListTaskDefinitions page (was 500 and every page)', async () => {
  const ecs = await familyOf(500);
  const all = await listRevisions(ecs, FAMILY);
  assert.is(ecs.count('describeTaskDefinition'), 500, 'the old read: one per ACTIVE revision');
  ecs.calls.length = 0;
  const got = await historyRevisions(ecs, FAMILY, FakeEcs.arn(FAMILY, 500), { limit: 20 });
  assert.equal(reads(ecs), { describe: 20 + HISTORY_MARGIN, listPages: 1, listAll: 0 });
  assert.ok(ecs.calls.includes(`listTaskDefinitionPage ${FAMILY} ${20 + HISTORY_MARGIN}`), 'maxResults = limit + margin');
  assert.equal(nums(got), nums(all.slice(0, 25)), 'the same newest revisions as the full read');
  ecs.calls.length = 0;
  await historyRevisions(ecs, FAMILY, FakeEcs.arn(FAMILY, 500), { limit: 200 });
  assert.equal(reads(ecs), { describe: 205, listPages: 3, listAll: 0 }, 'a larger --limit pages on (100 a page)');
});

test('history: the live revision read before (readLive) is not described again', async () => {
  const ecs = await familyOf(500);
  const live = await ecs.describeTaskDefinition(FakeEcs.arn(FAMILY, 500));
  ecs.calls.length = 0;
  const got = await historyRevisions(ecs, FAMILY, FakeEcs.arn(FAMILY, 500), { limit: 20, known: [revisionFromDescribe(live)!] });
  assert.is(ecs.count('describeTaskDefinition'), 20 + HISTORY_MARGIN - 1);
  assert.equal(nums(got).sort((a, b) => b - a), Array.from({ length: 25 }, (_, i) => 500 - i));
});

test('history: a live revision older than the window is read (one more call) and shown', async () => {
  const ecs = await familyOf(500, 100);
  const got = await historyRevisions(ecs, FAMILY, FakeEcs.arn(FAMILY, 100), { limit: 20 });
  assert.is(ecs.count('describeTaskDefinition'), 26);
  assert.ok(got.some((r) => r.revision === 100));
});

test('history --all reads every revision (the old behaviour, asked for)', async () => {
  const ecs = await familyOf(30);
  assert.is((await historyRevisions(ecs, FAMILY, FakeEcs.arn(FAMILY, 30), { limit: 20, all: true })).length, 30);
  assert.is(ecs.count('describeTaskDefinition'), 30);
});

// planRollback's counts include readLive's DescribeTaskDefinition of the live revision, which the
// search reuses (the live one is not described twice).
test('rollback of a 500-revision family: the first page of 10 (was 1 + 500)', async () => {
  const ecs = await familyOf(500);
  const plan = await planRollback(ports(ecs), resolved);
  assert.is(plan.target.revision, 499);
  assert.equal({ describe: ecs.count('describeTaskDefinition'), listPages: ecs.count('listTaskDefinitionPage'), listAll: ecs.count('listTaskDefinitions') }, { describe: ROLLBACK_PAGE, listPages: 1, listAll: 0 });
  assert.ok(ecs.calls.includes(`listTaskDefinitionPage ${FAMILY} ${REVISION_READS_MAX}`), 'one listing covers every revision it may read');
});

test('rollback: past failed revisions, page by page until a candidate', async () => {
  // 476..499 never completed (failed rollouts): the target is 475, in the third page.
  const ecs = await familyOf(500, 500, (i) => (i >= 476 && i <= 499 ? undefined : i));
  const plan = await planRollback(ports(ecs), resolved);
  assert.is(plan.target.revision, 475);
  assert.is(ecs.count('describeTaskDefinition'), 3 * ROLLBACK_PAGE);
  assert.is(ecs.count('listTaskDefinitionPage'), 1);
});

test('rollback: no candidate among the newest REVISION_READS_MAX stops there and names --to', async () => {
  // An adopted family: nothing but the live revision ever completed under ferry.
  const ecs = await familyOf(500, 500, (i) => (i === 500 ? 500 : undefined));
  const e = await failure(planRollback(ports(ecs), resolved));
  assert.match(e.message, /among its newest 50 revisions .*--to <revision\|tag>/);
  assert.is(ecs.count('describeTaskDefinition'), REVISION_READS_MAX);
});

test('rollback: the live revision outside the pages read is read once for its image', async () => {
  // Live is 200 (rolled back to long ago); 500 has 200's image? No: every revision has its own.
  const ecs = await familyOf(500, 200);
  const search = await findRollbackTarget(ecs, FAMILY, FakeEcs.arn(FAMILY, 200));
  assert.is(search.kind === 'found' && search.found.revision, 500, 'the most recently completed other than the live one');
  assert.is(ecs.count('describeTaskDefinition'), ROLLBACK_PAGE + 1);
});

test('rollback of a short family: the same target as reading every revision', async () => {
  // Deployed 1..6, rolled back to 4, then deployed 7: 4 completed after 5 and 6.
  const at: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 10, 5: 5, 6: 6, 7: 11 };
  const ecs = await familyOf(7, 7, (i) => at[i]);
  const plan = await planRollback(ports(ecs), resolved);
  assert.is(plan.target.revision, previousCompleted(await listRevisions(ecs, FAMILY), FakeEcs.arn(FAMILY, 7))!.revision);
  assert.is(plan.target.revision, 4);
});

test('rollback --to <n>: that revision and the ones newer than it (their migrations), no more than REVISION_READS_MAX', async () => {
  const ecs = await familyOf(500);
  const near = await planRollback(ports(ecs), resolved, '495');
  assert.is(near.target.revision, 495);
  assert.is(ecs.count('describeTaskDefinition'), 1 + 1 + 4, 'the live one (readLive), 495, and 499..496');
  assert.is(near.migrationsUnread, undefined);
  ecs.calls.length = 0;
  const far = await planRollback(ports(ecs), resolved, '7');
  assert.is(far.target.revision, 7);
  assert.is(ecs.count('describeTaskDefinition'), 1 + 1 + REVISION_READS_MAX - 1);
  assert.is(far.migrationsUnread, true);
  assert.match((await failure(Promise.resolve().then(() => checkMigrationsUnread(far, false)))).message, /--force/);
  assert.match(checkMigrationsUnread(far, true)!, /anyway \(--force\)/);
});

test('rollback --to <n> past a successful migration among the newer revisions still asks for --force', async () => {
  const ecs = await familyOf(500);
  await ecs.tagResource(FakeEcs.arn(FAMILY, 480), migrationTags({ exitCode: 0, durationMs: 1000, at: 480, by: 'dev@laptop' }));
  ecs.calls.length = 0;
  const plan = await planRollback(ports(ecs), resolved, '470');
  assert.is(plan.pastMigration?.revision, 480);
});

test('rollback --to <tag> and run --revision: newest first until the tag, bounded; a number reads one revision', async () => {
  const ecs = await familyOf(500);
  const byTag = await findNamedRevision(ecs, FAMILY, 't488', '--to');
  assert.is(byTag.found.revision, 488);
  assert.is(ecs.count('describeTaskDefinition'), 20, 'two pages of 10');
  ecs.calls.length = 0;
  const viaRollback = await planRollback(ports(ecs), resolved, 't488');
  assert.is(viaRollback.target.revision, 488);
  assert.is(ecs.count('describeTaskDefinition'), 20, 'readLive\'s read of the live revision is not repeated');
  ecs.calls.length = 0;
  const old = await failure(findNamedRevision(ecs, FAMILY, 't3', '--revision'));
  assert.match(old.message, /newest 50 of api .*--revision <n>/);
  assert.is(ecs.count('describeTaskDefinition'), REVISION_READS_MAX);
  ecs.calls.length = 0;
  assert.is((await findNamedRevision(ecs, FAMILY, '41', '--revision')).found.revision, 41);
  assert.is((await findNamedRevision(ecs, FAMILY, 'api:42', '--revision')).found.revision, 42);
  assert.equal(reads(ecs), { describe: 2, listPages: 0, listAll: 0 });
  await ecs.deregisterTaskDefinition(FakeEcs.arn(FAMILY, 43));
  const gone = await failure(findNamedRevision(ecs, FAMILY, '43', '--to'));
  assert.match(gone.message, /no ACTIVE revision of api matches "43"\. Known revisions: 500, 499/);
  assert.is(awsErrorName(await failure(findNamedRevision(ecs, FAMILY, '9999', '--to'))), '');
  ecs.calls.length = 0;
  for (const bad of ['0', '99999999999999999999']) assert.match((await failure(findNamedRevision(ecs, FAMILY, bad, '--to'))).message, /no ACTIVE revision of api matches/);
  assert.is(ecs.count('describeTaskDefinition'), 0, 'no revision number ECS could hold: nothing described');
});

test.run();
