import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryReporter } from '@ferry/core';
import type { EcsPort } from '@ferry/aws';
import { formatLock, LOCK_TAG } from './lock.ts';
import { beginLockAhead, pendingLocksAhead, releaseLockAhead, releaseLocksAhead, startLockAhead, takeLockAhead } from './lock-ahead.ts';

const CLUSTER_ARN = 'arn:aws:ecs:us-east-1:000000000000:cluster/c';
const SERVICE_ARN = 'arn:aws:ecs:us-east-1:000000000000:service/c/api';

/** The ECS calls the lock makes, over tags kept in memory; every write is logged. */
function ecsWithTags() {
  const tags = new Map<string, Map<string, string>>();
  const log: string[] = [];
  const of = (arn: string) => tags.get(arn) ?? tags.set(arn, new Map()).get(arn)!;
  const port = {
    async describeClusters() {
      return { clusters: [{ clusterName: 'c', clusterArn: CLUSTER_ARN, status: 'ACTIVE' }] };
    },
    async describeServices() {
      return { services: [{ serviceName: 'api', serviceArn: SERVICE_ARN, status: 'ACTIVE' }], failures: [] };
    },
    async listTagsForResource(arn: string) {
      return [...of(arn)].map(([key, value]) => ({ key, value }));
    },
    async tagResource(arn: string, t: { key: string; value: string }[]) {
      for (const x of t) of(arn).set(x.key, x.value);
      log.push(`tag ${t.map((x) => x.key).join(',')}`);
    },
    async untagResource(arn: string, keys: string[]) {
      for (const k of keys) of(arn).delete(k);
      log.push(`untag ${keys.join(',')}`);
    },
  } as unknown as EcsPort;
  return { port, log, lockOnService: () => of(SERVICE_ARN).get(LOCK_TAG), tags: of };
}

const target = { app: 'api', env: 'local', cluster: 'c', service: 'api' };
const key = { env: 'local', cluster: 'c', service: 'api' };
const fast = { settleMs: 5, ttlMs: 60_000 };

test.after.each(async () => {
  await releaseLocksAhead();
});

test('decided yes: the lock is held ahead; deploy-app takes it once; its release removes the tag', async () => {
  const w = ecsWithTags();
  startLockAhead(w.port, target, fast, async () => true);
  const r = new MemoryReporter();
  const taken = takeLockAhead(key, r);
  assert.ok(taken, 'registered at once, before the decision');
  const lock = await taken;
  assert.ok(lock, 'a held lock');
  assert.ok(w.lockOnService()?.startsWith(lock!.token), 'the service carries our token');
  assert.is(takeLockAhead(key, r), undefined, 'taken only once');
  await lock!.release();
  assert.is(w.lockOnService(), undefined);
  assert.equal(w.log, [`tag ${LOCK_TAG}`, `untag ${LOCK_TAG}`]);
});

test('decided no (an up-to-date app) or undecidable: nothing is written; deploy-app acquires its own', async () => {
  for (const decide of [async () => false, async () => Promise.reject(new Error('no registry'))]) {
    const w = ecsWithTags();
    startLockAhead(w.port, target, fast, decide);
    assert.is(await takeLockAhead(key, new MemoryReporter()), undefined);
    assert.equal(w.log, [], 'no write');
    await releaseLocksAhead();
  }
});

test('nothing is decided or written before the chain begins; deploy-app starting begins it', async () => {
  const w = ecsWithTags();
  let decided = 0;
  startLockAhead(w.port, target, fast, async () => (decided++, true));
  await new Promise((r) => setTimeout(r, 30));
  assert.is(decided, 0, 'not decided before beginLockAhead');
  assert.equal(w.log, [], 'nothing written');
  const lock = await takeLockAhead(key, new MemoryReporter());
  assert.is(decided, 1, 'taking it begins it');
  assert.ok(lock);
  await lock!.release();
});

test('a deploy-app that never runs (skipped): releaseLockAhead gives the lock back', async () => {
  const w = ecsWithTags();
  startLockAhead(w.port, target, fast, async () => true);
  beginLockAhead(key);
  beginLockAhead(key); // idempotent
  for (let i = 0; i < 50 && !w.lockOnService(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(w.lockOnService(), 'the lock was written once the chain began');
  assert.is(pendingLocksAhead(), 1);
  await releaseLockAhead(key);
  assert.is(w.lockOnService(), undefined, 'no lock left');
  assert.is(pendingLocksAhead(), 0);
  assert.is(takeLockAhead(key, new MemoryReporter()), undefined, 'nothing left to take');
  assert.equal(w.log, [`tag ${LOCK_TAG}`, `untag ${LOCK_TAG}`]);
});

test('a chain that never began (interrupted at once): the end of the batch decides nothing and writes nothing', async () => {
  const w = ecsWithTags();
  let decided = 0;
  startLockAhead(w.port, target, fast, async () => (decided++, true));
  await releaseLocksAhead();
  assert.is(decided, 0);
  assert.equal(w.log, []);
});

test('held by another deploy: deploy-app gets LOCKED naming the holder, and sees what waiting said', async () => {
  const w = ecsWithTags();
  const now = Date.now();
  await w.port.tagResource(SERVICE_ARN, [{ key: LOCK_TAG, value: formatLock({ token: 'other0000000', owner: 'bob@ci-2 pid 7', acquiredAt: now, expiresAt: now + 60_000 }) }]);
  startLockAhead(w.port, target, { ...fast, waitMs: 60, pollMs: 20 }, async () => true);
  const r = new MemoryReporter();
  const e = await takeLockAhead(key, r)!.then(
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
  await w.port.tagResource(SERVICE_ARN, [{ key: LOCK_TAG, value: formatLock({ token: 'other0000000', owner: 'bob', acquiredAt: now, expiresAt: now + 60_000 }) }]);
  w.log.length = 0;
  startLockAhead(w.port, target, { ...fast, waitMs: 30_000, pollMs: 20 }, async () => true);
  beginLockAhead(key);
  await new Promise((r) => setTimeout(r, 50));
  const t0 = Date.now();
  await releaseLocksAhead();
  assert.ok(Date.now() - t0 < 1000, 'did not wait out --lock-wait');
  assert.equal(w.log, [], 'nothing written');
});

test.run();
