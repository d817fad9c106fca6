/**
 * The per-service deploy lock: one ferry rollout per ECS service at a time, seen by every machine
 * because it lives on the AWS side, in tags.
 *
 * Where: the service's tag `ferry:lock`; before the service exists (first deploy), the cluster's tag
 * `ferry:lock:<service>`. Acquiring reads both places, so a deploy that creates the service while
 * holding the cluster tag still stops one that arrives after the service appeared.
 *
 * How (tags have no compare-and-set): read -> write our value with a unique token -> wait a settle
 * time -> read back; whoever's token is there wins, the loser backs off without writing again.
 * Two writers that both saw the lock free both write; TagResource is last-writer-wins on the key, so
 * after the settle time both read the same (last) token and exactly one proceeds. The remaining
 * window: B read "free" before A's write was visible and B's write lands after A's read-back, i.e.
 * B's read->write gap exceeds A's settle time. `verify()` re-reads right before each write call so
 * that window is also closed for the writes that matter (UpdateService/CreateService).
 * docs/reliability.md has the full analysis.
 *
 * A lock carries owner, acquired-at and expires-at; the holder renews it while it works, so a
 * killed process's lock expires within one TTL and can then be taken over.
 */
import { hostname, userInfo } from 'node:os';
import { randomBytes } from 'node:crypto';
import { FerryError, type Reporter } from '@ferry/core';
import { isNotFound, type EcsPort } from '@ferry/aws';

export const LOCK_TAG = 'ferry:lock';
/** The cluster tag that locks a service that does not exist yet. */
export const clusterLockKey = (service: string) => `${LOCK_TAG}:${service}`.slice(0, 128);

/** One lock as stored in a tag value. */
export interface LockRecord {
  token: string;
  owner: string;
  acquiredAt: number;
  expiresAt: number;
}

/** ECS tag values allow letters, digits, spaces and `+ - = . _ : / @` (256 characters). */
export function tagSafe(text: string, max = 150): string {
  return text.replace(/[^A-Za-z0-9 +\-=._:/@]/g, '_').slice(0, max);
}

export function formatLock(r: LockRecord): string {
  return `${r.token} ${r.acquiredAt} ${r.expiresAt} ${tagSafe(r.owner)}`;
}

/** Undefined for an absent tag; a value that is not ferry's format is kept as `unreadable`. */
export function parseLock(value: string | undefined): LockRecord | 'unreadable' | undefined {
  if (value === undefined || value === '') return undefined;
  const m = /^([a-z0-9]{8,64}) (\d{1,16}) (\d{1,16}) (.*)$/.exec(value);
  if (!m) return 'unreadable';
  return { token: m[1], acquiredAt: Number(m[2]), expiresAt: Number(m[3]), owner: m[4] };
}

export type LockDecision =
  | { kind: 'free' }
  | { kind: 'mine'; record: LockRecord }
  /** Someone else holds an unexpired lock (or a value ferry cannot read: only --force-unlock removes it). */
  | { kind: 'held'; by: LockRecord | 'unreadable' }
  /** Only expired locks of others: safe to take over. */
  | { kind: 'expired'; by: LockRecord };

/** What the values found in the lock places mean for `token` at `now`. Pure. */
export function decideLock(found: Array<LockRecord | 'unreadable' | undefined>, token: string, now: number): LockDecision {
  const present = found.filter((f): f is LockRecord | 'unreadable' => f !== undefined);
  const unreadable = present.find((f) => f === 'unreadable');
  if (unreadable) return { kind: 'held', by: 'unreadable' };
  const records = present as LockRecord[];
  const others = records.filter((r) => r.token !== token);
  const live = others.filter((r) => r.expiresAt > now).sort((a, b) => b.expiresAt - a.expiresAt);
  if (live.length) return { kind: 'held', by: live[0] };
  const mine = records.find((r) => r.token === token);
  if (mine && mine.expiresAt > now) return { kind: 'mine', record: mine };
  const expired = others.sort((a, b) => b.expiresAt - a.expiresAt)[0];
  if (expired) return { kind: 'expired', by: expired };
  return { kind: 'free' };
}

/** After write + settle: did our write survive? Pure. */
export function readBackWon(value: string | undefined, token: string): boolean {
  const r = parseLock(value);
  return r !== undefined && r !== 'unreadable' && r.token === token;
}

export function describeHolder(by: LockRecord | 'unreadable', now: number): string {
  if (by === 'unreadable') return 'a lock tag ferry cannot read';
  const ago = Math.max(0, Math.round((now - by.acquiredAt) / 1000));
  const left = Math.max(0, Math.round((by.expiresAt - now) / 1000));
  return `${by.owner} since ${new Date(by.acquiredAt).toISOString()} (${ago}s ago; expires in ${left}s unless renewed)`;
}

/** Where the lock tags live: the tag ports ferry needs, plus time (injectable for tests). */
export interface LockPort {
  /** The value of tag `key` on `arn`; undefined when the tag (or the resource) is absent. */
  read(arn: string, key: string): Promise<string | undefined>;
  write(arn: string, key: string, value: string): Promise<void>;
  remove(arn: string, key: string): Promise<void>;
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export function ecsLockPort(ecs: EcsPort): LockPort {
  return {
    async read(arn, key) {
      try {
        return (await ecs.listTagsForResource(arn)).find((t) => t.key === key)?.value;
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    async write(arn, key, value) {
      await ecs.tagResource(arn, [{ key, value }]);
    },
    async remove(arn, key) {
      try {
        await ecs.untagResource(arn, [key]);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    },
    now: () => Date.now(),
    sleep: (ms, signal) =>
      new Promise((resolve) => {
        const t = setTimeout(done, ms);
        function done() {
          clearTimeout(t);
          signal?.removeEventListener('abort', done);
          resolve();
        }
        signal?.addEventListener('abort', done, { once: true });
      }),
  };
}

/** The resources that carry the lock of one service. */
export interface LockTarget {
  app: string;
  service: string;
  clusterArn: string;
  /** Present when the service exists (ACTIVE or DRAINING). */
  serviceArn?: string;
}

export interface LockOptions {
  owner?: string;
  /** How long the lock is valid without renewal (default 5 min; FERRY_LOCK_TTL_MS). */
  ttlMs?: number;
  /** Wait between our write and the read-back (default 1 s; FERRY_LOCK_SETTLE_MS). */
  settleMs?: number;
  /** `--lock-wait`: how long to wait for a held lock (0: fail at once). */
  waitMs?: number;
  pollMs?: number;
  /** `--force-unlock`: remove whatever lock is there first. */
  force?: boolean;
  signal?: AbortSignal;
  reporter: Reporter;
  /** Unique token; random by default (tests pass their own). */
  token?: string;
}

export interface HeldLock {
  token: string;
  record: LockRecord;
  /** Re-reads the lock; throws LOCK_LOST if someone else's token is there now. */
  verify(): Promise<void>;
  /** Removes the lock if it is still ours; never throws (a release failure is reported). */
  release(): Promise<void>;
}

/** Who is deploying: FERRY_DEPLOYER, else user@host. */
export function deployer(): string {
  let user = process.env.FERRY_DEPLOYER;
  if (!user) {
    try {
      user = `${userInfo().username}@${hostname()}`;
    } catch {
      user = `unknown@${hostname()}`;
    }
  }
  return tagSafe(user, 100);
}

function places(t: LockTarget): { arn: string; key: string }[] {
  const cluster = { arn: t.clusterArn, key: clusterLockKey(t.service) };
  return t.serviceArn ? [{ arn: t.serviceArn, key: LOCK_TAG }, cluster] : [cluster];
}

/**
 * Takes the service lock (waiting up to `waitMs` for a holder), or throws LOCKED naming the holder.
 * Renews it every TTL/3 until released.
 */
export async function acquireLock(port: LockPort, target: LockTarget, o: LockOptions): Promise<HeldLock> {
  const ttl = o.ttlMs ?? (Number(process.env.FERRY_LOCK_TTL_MS) || 5 * 60_000);
  const settle = o.settleMs ?? (Number(process.env.FERRY_LOCK_SETTLE_MS) || 1000);
  const poll = o.pollMs ?? Math.min(2000, Math.max(250, settle));
  const token = o.token ?? randomBytes(12).toString('hex');
  const owner = tagSafe(`${o.owner ?? deployer()} pid ${process.pid}`);
  const where = places(target);
  const mine = where[0];
  const deadline = port.now() + (o.waitMs ?? 0);
  const r = o.reporter;

  if (o.force) {
    for (const p of where) {
      const before = parseLock(await port.read(p.arn, p.key));
      if (before) {
        r.emit({ kind: 'warn', app: target.app, message: `--force-unlock: removing the lock of ${describeHolder(before, port.now())} on ${p.arn}` });
        await port.remove(p.arn, p.key);
      }
    }
  }

  let waited = false;
  for (;;) {
    if (o.signal?.aborted) throw interrupted(target);
    const found = await Promise.all(where.map((p) => port.read(p.arn, p.key).then(parseLock)));
    const now = port.now();
    const d = decideLock(found, token, now);
    if (d.kind === 'held') {
      if (now >= deadline) {
        throw new FerryError(
          'LOCKED',
          `${target.app}: another deploy holds the lock of service ${target.service}: ${describeHolder(d.by, now)}. ` +
            `Wait for it (\`--lock-wait <seconds>\`), or, only if that deploy is surely gone, remove the lock: \`nx run ${target.app}:deploy-app --force-unlock\`.`,
          { details: [`lock: ${where.map((p) => `${p.arn} tag ${p.key}`).join(' | ')}`] },
        );
      }
      if (!waited) r.emit({ kind: 'info', app: target.app, message: `waiting for the lock of ${target.service}: held by ${describeHolder(d.by, now)}` });
      waited = true;
      await port.sleep(Math.min(poll, Math.max(1, deadline - now)), o.signal);
      continue;
    }
    if (d.kind === 'expired') r.emit({ kind: 'warn', app: target.app, message: `taking over the expired lock of ${describeHolder(d.by, now)}` });
    const record: LockRecord = { token, owner, acquiredAt: now, expiresAt: now + ttl };
    await port.write(mine.arn, mine.key, formatLock(record));
    await port.sleep(settle, o.signal);
    if (readBackWon(await port.read(mine.arn, mine.key), token)) {
      // Lost on the other place in the meantime (service created by the cluster-lock holder)?
      const recheck = decideLock(await Promise.all(where.map((p) => port.read(p.arn, p.key).then(parseLock))), token, port.now());
      if (recheck.kind === 'mine') return held(port, target, mine, record, ttl, r);
    }
    // Lost the race: someone else's write landed after ours. Go round: their lock is now "held".
    r.emit({ kind: 'info', app: target.app, message: `lock of ${target.service}: another deploy wrote at the same moment; backing off` });
  }
}

function interrupted(t: LockTarget): FerryError {
  return new FerryError('INTERRUPTED', `${t.app}: interrupted while waiting for the lock of ${t.service}; nothing was changed.`, { exitCode: 130 });
}

function held(port: LockPort, target: LockTarget, at: { arn: string; key: string }, first: LockRecord, ttl: number, r: Reporter): HeldLock {
  let record = first;
  let lost = false;
  const renew = setInterval(async () => {
    try {
      const now = port.now();
      if (!readBackWon(await port.read(at.arn, at.key), record.token)) {
        lost = true;
        clearInterval(renew);
        r.emit({ kind: 'warn', app: target.app, message: `the lock of ${target.service} was taken by someone else (--force-unlock?)` });
        return;
      }
      record = { ...record, expiresAt: now + ttl };
      await port.write(at.arn, at.key, formatLock(record));
    } catch {
      // A missed renewal only shortens the lock; the next one retries.
    }
  }, Math.max(100, Math.floor(ttl / 3)));
  renew.unref();
  return {
    token: record.token,
    get record() {
      return record;
    },
    async verify() {
      const v = await port.read(at.arn, at.key);
      if (lost || !readBackWon(v, record.token)) {
        const by = parseLock(v);
        throw new FerryError('LOCKED', `${target.app}: the lock of service ${target.service} is no longer ours${by ? ` (now: ${describeHolder(by, port.now())})` : ''}; stopping before changing anything else.`);
      }
    },
    async release() {
      clearInterval(renew);
      try {
        if (readBackWon(await port.read(at.arn, at.key), record.token)) await port.remove(at.arn, at.key);
      } catch (e) {
        r.emit({ kind: 'warn', app: target.app, message: `could not release the lock of ${target.service} (${(e as Error).message}); it expires by ${new Date(record.expiresAt).toISOString()}` });
      }
    },
  } as HeldLock;
}

/**
 * The lock target of a service: the cluster's ARN (creating the cluster first when `ensureCluster`,
 * as the sandbox's first deploy does) and the service's ARN when it exists. Null when the cluster
 * does not exist and may not be created (the deploy then fails with the usual not-found error).
 */
export async function lockTarget(ecs: EcsPort, t: { app: string; cluster: string; service: string; ensureCluster?: boolean }): Promise<LockTarget | null> {
  const r = await ecs.describeClusters([t.cluster]);
  let clusterArn = r.clusters.find((c) => c.clusterName === t.cluster && c.status === 'ACTIVE')?.clusterArn;
  if (!clusterArn && t.ensureCluster) clusterArn = (await ecs.createCluster(t.cluster)).clusterArn;
  if (!clusterArn) return null;
  let serviceArn: string | undefined;
  try {
    const r = await ecs.describeServices(t.cluster, [t.service]);
    const s = r.services.find((x) => x.serviceName === t.service && x.status !== 'INACTIVE');
    serviceArn = s?.serviceArn;
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  return { app: t.app, service: t.service, clusterArn, serviceArn };
}

/**
 * Runs `fn` holding the service lock: acquire before any write, release in finally (also when `fn`
 * throws or the run is interrupted). Without a cluster there is nothing to lock (and nothing to
 * deploy into): `fn` runs and fails on its own terms.
 */
export async function withServiceLock<T>(
  ecs: EcsPort,
  t: { app: string; cluster: string; service: string; ensureCluster?: boolean },
  o: LockOptions,
  fn: (lock: HeldLock | null) => Promise<T>,
  /** A lock already held for this service (taken ahead, lock-ahead.ts): used instead of acquiring one. */
  ahead?: HeldLock,
): Promise<T> {
  let lock: HeldLock | null;
  if (ahead) lock = ahead;
  else {
    const target = await lockTarget(ecs, t);
    lock = target ? await acquireLock(ecsLockPort(ecs), target, o) : null;
  }
  if (!lock) return fn(null);
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
}
