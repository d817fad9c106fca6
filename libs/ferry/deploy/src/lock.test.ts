import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryReporter, FerryError } from '@ferry/core';
import { acquireLock, clusterLockKey, decideLock, formatLock, LOCK_TAG, parseLock, readBackWon, tagSafe, type LockPort, type LockRecord } from './lock.ts';

const rec = (token: string, expiresAt: number, owner = 'ana@ci pid 1', acquiredAt = 0): LockRecord => ({ token, owner, acquiredAt, expiresAt });

test('decideLock: table', () => {
  const now = 1000;
  const cases: Array<[string, Parameters<typeof decideLock>[0], string]> = [
    ['nothing anywhere', [undefined, undefined], 'free'],
    ['ours, unexpired', [rec('mine0000', 2000)], 'mine'],
    ['ours, expired (renewal missed): re-take as free', [rec('mine0000', 500)], 'free'],
    ['other, unexpired', [rec('other000', 2000)], 'held'],
    ['other, expired', [rec('other000', 999)], 'expired'],
    ['other expires exactly now counts as expired', [rec('other000', 1000)], 'expired'],
    ['ours on service, other unexpired on cluster', [rec('mine0000', 2000), rec('other000', 1500)], 'held'],
    ['expired other on service, free cluster', [rec('other000', 10), undefined], 'expired'],
    ['unreadable value: only --force-unlock', ['unreadable'], 'held'],
  ];
  for (const [name, found, kind] of cases) assert.is(decideLock(found, 'mine0000', now).kind, kind, name);
  const d = decideLock([rec('a0000000', 1500), rec('b0000000', 3000)], 'mine0000', now);
  assert.ok(d.kind === 'held' && d.by !== 'unreadable' && d.by.token === 'b0000000', 'the longest-lived holder is named');
});

test('lock values: round trip, tag-safe owners, garbage', () => {
  const r = rec('0123456789abcdef01234567', 1_700_000_300_000, 'ana@build-7 pid 42', 1_700_000_000_000);
  assert.equal(parseLock(formatLock(r)), r);
  assert.ok(formatLock(r).length <= 256);
  assert.is(tagSafe('a;b$(c)`d`\n|e'), 'a_b__c__d___e');
  assert.ok(/^[A-Za-z0-9 +\-=._:/@]*$/.test(formatLock(rec('abcdefgh', 1, 'x;rm -rf /$(y)'))));
  assert.is(parseLock(undefined), undefined);
  assert.is(parseLock(''), undefined);
  assert.is(parseLock('someone put this here'), 'unreadable');
  assert.ok(readBackWon(formatLock(rec('abcdefgh', 5)), 'abcdefgh'));
  assert.not.ok(readBackWon(formatLock(rec('zzzzzzzz', 5)), 'abcdefgh'));
  assert.not.ok(readBackWon(undefined, 'abcdefgh'));
  assert.is(clusterLockKey('api'), 'ferry:lock:api');
});

/** Tags in memory with a virtual clock; `delayWrite` lets a test make one writer's TagResource land late. */
function world() {
  let clock = 1_000_000;
  const tags = new Map<string, string>();
  const k = (arn: string, key: string) => `${arn}#${key}`;
  const log: string[] = [];
  const port = (name: string, o: { delayWriteMs?: number } = {}): LockPort => ({
    async read(arn, key) {
      return tags.get(k(arn, key));
    },
    async write(arn, key, value) {
      if (o.delayWriteMs) await new Promise((r) => setTimeout(r, o.delayWriteMs));
      log.push(`${name} write`);
      tags.set(k(arn, key), value);
    },
    async remove(arn, key) {
      log.push(`${name} remove`);
      tags.delete(k(arn, key));
    },
    now: () => clock,
    async sleep(ms) {
      await new Promise((r) => setTimeout(r, Math.min(ms, 20)));
      clock += ms;
    },
  });
  return { port, tags, log, advance: (ms: number) => (clock += ms), key: k };
}

const target = { app: 'api', service: 'api', clusterArn: 'arn:aws:ecs:r:1:cluster/c', serviceArn: 'arn:aws:ecs:r:1:service/c/api' };
const opts = (token: string, extra: Partial<Parameters<typeof acquireLock>[2]> = {}) => ({ token, reporter: new MemoryReporter(), settleMs: 50, ttlMs: 60_000, ...extra });

test('acquire, second is refused naming the holder, release frees it', async () => {
  const w = world();
  const a = await acquireLock(w.port('a'), target, opts('aaaaaaaa', { owner: 'ana@ci' }));
  let err: unknown;
  try {
    await acquireLock(w.port('b'), target, opts('bbbbbbbb'));
  } catch (e) {
    err = e;
  }
  assert.instance(err, FerryError);
  assert.is((err as FerryError).code, 'LOCKED');
  assert.match((err as FerryError).message, /ana@ci pid \d+/);
  assert.match((err as FerryError).message, /--lock-wait/);
  assert.match((err as FerryError).message, /--force-unlock/);
  await a.release();
  assert.is(w.tags.get(w.key(target.serviceArn, LOCK_TAG)), undefined);
  const b = await acquireLock(w.port('b'), target, opts('bbbbbbbb'));
  await b.release();
});

test('--lock-wait: waits for the holder to release', async () => {
  const w = world();
  const a = await acquireLock(w.port('a'), target, opts('aaaaaaaa'));
  const reporter = new MemoryReporter();
  const waiting = acquireLock(w.port('b'), target, opts('bbbbbbbb', { waitMs: 30_000, pollMs: 1000, reporter }));
  setTimeout(() => void a.release(), 60);
  const b = await waiting;
  assert.ok(reporter.events.some((e) => e.kind === 'info' && /waiting for the lock/.test(e.message)));
  await b.verify();
  await b.release();
});

test('an expired lock (killed holder) is taken over; the old holder cannot release the new one', async () => {
  const w = world();
  const a = await acquireLock(w.port('a'), target, opts('aaaaaaaa', { ttlMs: 1000 }));
  // a's process dies without releasing: its tag stays, with an expiry in the past once time passes.
  w.tags.set(w.key(target.serviceArn, LOCK_TAG), formatLock(rec('aaaaaaaa', 1_000_500)));
  w.advance(10_000);
  const reporter = new MemoryReporter();
  const b = await acquireLock(w.port('b'), target, opts('bbbbbbbb', { reporter }));
  assert.ok(reporter.events.some((e) => e.kind === 'warn' && /taking over the expired lock/.test(e.message)));
  await a.release();
  assert.ok(readBackWon(w.tags.get(w.key(target.serviceArn, LOCK_TAG)), 'bbbbbbbb'), 'b still holds it');
  let err: unknown;
  try {
    await a.verify();
  } catch (e) {
    err = e;
  }
  assert.is((err as FerryError)?.code, 'LOCKED');
  await b.release();
});

test('two writers at once: exactly one wins (last write wins, both read back the same token)', async () => {
  const w = world();
  const results = await Promise.allSettled([
    acquireLock(w.port('a'), target, opts('aaaaaaaa')),
    acquireLock(w.port('b', { delayWriteMs: 5 }), target, opts('bbbbbbbb')),
  ]);
  const won = results.filter((r) => r.status === 'fulfilled');
  assert.is(won.length, 1, JSON.stringify(results.map((r) => r.status)));
  assert.is(results.filter((r) => r.status === 'rejected' && (r.reason as FerryError).code === 'LOCKED').length, 1);
  await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireLock>>>).value.release();
});

test('first deploy: the cluster tag locks a service that does not exist yet, and still counts once it does', async () => {
  const w = world();
  const noService = { ...target, serviceArn: undefined };
  const a = await acquireLock(w.port('a'), noService, opts('aaaaaaaa'));
  assert.ok(w.tags.has(w.key(target.clusterArn, 'ferry:lock:api')));
  // The service now exists (a created it); b looks at both places.
  let err: unknown;
  try {
    await acquireLock(w.port('b'), target, opts('bbbbbbbb'));
  } catch (e) {
    err = e;
  }
  assert.is((err as FerryError)?.code, 'LOCKED');
  await a.release();
  assert.not.ok(w.tags.has(w.key(target.clusterArn, 'ferry:lock:api')));
});

test('--force-unlock removes a live lock of someone else and takes it', async () => {
  const w = world();
  await acquireLock(w.port('a'), target, opts('aaaaaaaa', { owner: 'ghost' }));
  const reporter = new MemoryReporter();
  const b = await acquireLock(w.port('b'), target, opts('bbbbbbbb', { force: true, reporter }));
  assert.ok(reporter.events.some((e) => e.kind === 'warn' && /--force-unlock: removing the lock of ghost/.test(e.message)));
  await b.verify();
  await b.release();
});

test('interrupted while waiting: INTERRUPTED (130), nothing written', async () => {
  const w = world();
  await acquireLock(w.port('a'), target, opts('aaaaaaaa'));
  const ac = new AbortController();
  const p = acquireLock(w.port('b'), target, opts('bbbbbbbb', { waitMs: 60_000, signal: ac.signal }));
  setTimeout(() => ac.abort(), 30);
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.is((err as FerryError)?.exitCode, 130);
  assert.not.ok(w.log.includes('b write'));
});

test.run();
