import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryReporter, RunSession } from '@ferry/core';
import { FakeEcs } from '@ferry/aws/testing';
import { formatLock, LOCK_TAG } from './lock.ts';
import { locksAhead, LocksAhead } from './lock-ahead.ts';

/** ECS with cluster `c` and service `api`; the lock's tag writes are what the tests look at. */
function ecsWithTags() {
  const port = new FakeEcs();
  port.addCluster('c');
  void port.registerTaskDefinition({ family: 'api', containerDefinitions: [{ name: 'api', image: 'i' }] });
  void port.createService({ cluster: 'c', serviceName: 'api', taskDefinition: 'api', desiredCount: 1 });
  const serviceArn = port.peek('c', 'api')!.serviceArn!;
  const mark = port.calls.length;
  const writes = () => port.calls.slice(mark).filter((c) => /^(tag|untag)Resource /.test(c)).map((c) => c.replace(/Resource \S+/, ''));
  return { port, serviceArn, log: writes, lockOnService: () => port.tagsOf(serviceArn).find((t) => t.key === LOCK_TAG)?.value };
}

const target = { app: 'api', env: 'local', cluster: 'c', service: 'api' };
const key = { env: 'local', cluster: 'c', service: 'api' };
const fast = { settleMs: 5, ttlMs: 60_000 };

let locks = new LocksAhead();
test.after.each(async () => {
  await locks.releaseAll();
  locks = new LocksAhead();
});

test('decided yes: the lock is held ahead; deploy-app takes it once; its release removes the tag', async () => {
  const w = ecsWithTags();
  locks.start(w.port, target, fast, async () => true);
  const r = new MemoryReporter();
  const taken = locks.take(key, r);
  assert.ok(taken, 'registered at once, before the decision');
  const lock = await taken;
  assert.ok(lock, 'a held lock');
  assert.ok(w.lockOnService()?.startsWith(lock!.token), 'the service carries our token');
  assert.is(locks.take(key, r), undefined, 'taken only once');
  await lock!.release();
  assert.is(w.lockOnService(), undefined);
  assert.equal(w.log(), [`tag ${LOCK_TAG}`, `untag ${LOCK_TAG}`]);
});

test('decided no (an up-to-date app) or undecidable: nothing is written; deploy-app acquires its own', async () => {
  for (const decide of [async () => false, async () => Promise.reject(new Error('no registry'))]) {
    const w = ecsWithTags();
    locks.start(w.port, target, fast, decide);
    assert.is(await locks.take(key, new MemoryReporter()), undefined);
    assert.equal(w.log(), [], 'no write');
    await locks.releaseAll();
  }
});

test('nothing is decided or written before the chain begins; deploy-app starting begins it', async () => {
  const w = ecsWithTags();
  let decided = 0;
  locks.start(w.port, target, fast, async () => (decided++, true));
  await new Promise((r) => setTimeout(r, 30));
  assert.is(decided, 0, 'not decided before beginLockAhead');
  assert.equal(w.log(), [], 'nothing written');
  const lock = await locks.take(key, new MemoryReporter());
  assert.is(decided, 1, 'taking it begins it');
  assert.ok(lock);
  await lock!.release();
});

test('a deploy-app that never runs (skipped): releaseLockAhead gives the lock back', async () => {
  const w = ecsWithTags();
  locks.start(w.port, target, fast, async () => true);
  locks.begin(key);
  locks.begin(key); // idempotent
  for (let i = 0; i < 50 && !w.lockOnService(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(w.lockOnService(), 'the lock was written once the chain began');
  assert.is(locks.pending(), 1);
  await locks.release(key);
  assert.is(w.lockOnService(), undefined, 'no lock left');
  assert.is(locks.pending(), 0);
  assert.is(locks.take(key, new MemoryReporter()), undefined, 'nothing left to take');
  assert.equal(w.log(), [`tag ${LOCK_TAG}`, `untag ${LOCK_TAG}`]);
});

test('a chain that never began (interrupted at once): the end of the batch decides nothing and writes nothing', async () => {
  const w = ecsWithTags();
  let decided = 0;
  locks.start(w.port, target, fast, async () => (decided++, true));
  await locks.releaseAll();
  assert.is(decided, 0);
  assert.equal(w.log(), []);
});

test('held by another deploy: deploy-app gets LOCKED naming the holder, and sees what waiting said', async () => {
  const w = ecsWithTags();
  const now = Date.now();
  await w.port.tagResource(w.serviceArn, [{ key: LOCK_TAG, value: formatLock({ token: 'other0000000', owner: 'bob@ci-2 pid 7', acquiredAt: now, expiresAt: now + 60_000 }) }]);
  locks.start(w.port, target, { ...fast, waitMs: 60, pollMs: 20 }, async () => true);
  const r = new MemoryReporter();
  const e = await locks.take(key, r)!.then(
    () => undefined,
    (err: unknown) => err as Error & { code?: string },
  );
  assert.ok(e, 'rejected');
  assert.is(e!.code, 'LOCKED');
  assert.match(e!.message, /bob@ci-2 pid 7/);
  assert.ok(r.events.some((x) => x.kind === 'info' && /waiting for the lock of api/.test(x.message)), 'the wait was reported to deploy-app');
  assert.ok(w.lockOnService()?.startsWith('other0000000'), "the other deploy's lock is untouched");
});

test('the end of the batch stops a lock still waiting for its holder, without writing', async () => {
  const w = ecsWithTags();
  const now = Date.now();
  await w.port.tagResource(w.serviceArn, [{ key: LOCK_TAG, value: formatLock({ token: 'other0000000', owner: 'bob', acquiredAt: now, expiresAt: now + 60_000 }) }]);
  locks.start(w.port, target, { ...fast, waitMs: 30_000, pollMs: 20 }, async () => true);
  locks.begin(key);
  await new Promise((r) => setTimeout(r, 50));
  const marked = w.log().length;
  await locks.releaseAll();
  assert.equal(w.log().slice(marked), [], 'nothing written');
  assert.is(w.lockOnService()?.split(' ')[0], 'other0000000', "the other deploy's lock is untouched");
});

test('the session gives back at its close every lock ahead no deploy-app took', async () => {
  const w = ecsWithTags();
  const session = new RunSession({ workspaceRoot: '/nowhere' });
  const mine = session.use(locksAhead);
  assert.is(session.use(locksAhead), mine, 'one registry per session');
  mine.start(w.port, target, fast, async () => true);
  mine.begin(key);
  for (let i = 0; i < 50 && !w.lockOnService(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(w.lockOnService(), 'held ahead');
  await session.close();
  assert.is(w.lockOnService(), undefined, 'released when the run ended');
  assert.is(new RunSession({ workspaceRoot: '/nowhere' }).use(locksAhead).pending(), 0, 'another run sees none of it');
});

test.run();
