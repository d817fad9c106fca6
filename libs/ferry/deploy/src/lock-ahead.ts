/**
 * Locks taken ahead (batch mode). When a batch's first read of a service already shows that the
 * app's deploy-app will change it (plan `update`), the service lock is acquired while the app's
 * image is still being built and pushed: the lock's settle window (lock.ts, 1 s) then costs the
 * rollout nothing. deploy-app takes that lock instead of acquiring its own (`takeLockAhead`) and
 * releases it as always; a lock whose deploy-app never runs (its build failed, the run was
 * interrupted) is released when the batch skips that task or ends (`releaseLockAhead`,
 * `releaseLocksAhead`).
 *
 * The lock is the same lock, taken the same way, only earlier: it is held from the start of the
 * app's chain instead of the start of its deploy-app step. A concurrent deploy of the same service
 * learns LOCKED sooner, and `--lock-wait` counts from the chain's start.
 *
 * The entry is registered before any task starts, so a deploy-app that starts early waits for the
 * decision instead of racing a lock of its own against the one taken ahead. Deciding and acquiring
 * begin only when the app's chain starts (`beginLockAhead`, the batch calls it when the app's first
 * task starts): the locks ahead follow the batch's `maxParallel`, so a run of hundreds of changed
 * apps neither holds hundreds of locks at once nor sends their tag calls in one burst.
 * The events acquiring emits (waiting for a holder, taking over an expired lock) are kept and
 * replayed into deploy-app's own output, where they would have appeared without lock-ahead.
 */
import type { FerryEvent, Reporter } from '@ferry/core';
import type { EcsPort } from '@ferry/aws';
import { acquireLock, ecsLockPort, lockTarget, type HeldLock, type LockOptions } from './lock.ts';

interface Ahead {
  /** The held lock; undefined when none was taken ahead (deploy-app acquires its own). Rejects like acquireLock. */
  lock: Promise<HeldLock | undefined>;
  /** What acquiring said, for deploy-app's reporter. */
  events: FerryEvent[];
  abort: AbortController;
  /** Opens the gate: decide and acquire from now on. */
  begin: () => void;
  taken: boolean;
}

const ahead = new Map<string, Ahead>();
const key = (t: LockAheadKey) => JSON.stringify([t.env, t.cluster, t.service]);

/** Which lock: environment name, cluster and service. */
export interface LockAheadKey {
  env: string;
  cluster: string;
  service: string;
}

export interface LockAheadTarget extends LockAheadKey {
  /** Nx project, as in the lock's messages. */
  app: string;
}

/**
 * Registers a lock ahead for this service; once begun (`beginLockAhead`), decides in the
 * background: when `decide` resolves true the lock is acquired, otherwise nothing is written. At most one per service and
 * environment (a second call is ignored). Never throws; a failure to acquire surfaces in deploy-app,
 * a failure to decide means no lock ahead.
 */
export function startLockAhead(ecs: EcsPort, t: LockAheadTarget, o: Omit<LockOptions, 'reporter' | 'signal' | 'force'>, decide: () => Promise<boolean>): void {
  const k = key(t);
  if (ahead.has(k)) return;
  const events: FerryEvent[] = [];
  const reporter: Reporter = { emit: (e) => void events.push(e) };
  const abort = new AbortController();
  let begin!: () => void;
  const gate = new Promise<void>((resolve) => (begin = resolve));
  abort.signal.addEventListener('abort', () => begin(), { once: true });
  const lock = gate
    .then(() => (abort.signal.aborted ? false : decide()))
    .catch(() => false)
    .then(async (yes) => {
      if (!yes || abort.signal.aborted) return undefined;
      const target = await lockTarget(ecs, { app: t.app, cluster: t.cluster, service: t.service });
      return target ? acquireLock(ecsLockPort(ecs), target, { ...o, reporter, signal: abort.signal }) : undefined;
    });
  // Kept for deploy-app (or the release at the end); never an unhandled rejection meanwhile.
  lock.catch(() => undefined);
  ahead.set(k, { lock, events, abort, begin, taken: false });
}

/** The app's chain started: decide and, if so, acquire now. Idempotent; unknown keys are ignored. */
export function beginLockAhead(t: LockAheadKey): void {
  ahead.get(key(t))?.begin();
}

/**
 * The lock ahead of this service, once: a promise of the held lock (undefined: none was taken,
 * acquire your own), with the events acquiring emitted replayed into `reporter` when it settles.
 * Undefined when none was registered. Aborting `signal` stops a lock still waiting for its holder.
 */
export function takeLockAhead(t: LockAheadKey, reporter: Reporter, signal?: AbortSignal): Promise<HeldLock | undefined> | undefined {
  const a = ahead.get(key(t));
  if (!a || a.taken) return undefined;
  a.taken = true;
  // deploy-app is running, so the chain has started (also when its first steps were not in the batch).
  a.begin();
  if (signal?.aborted) a.abort.abort();
  else signal?.addEventListener('abort', () => a.abort.abort(), { once: true });
  const replay = () => {
    for (const e of a.events.splice(0)) reporter.emit(e);
  };
  return a.lock.then(
    (l) => {
      replay();
      return l;
    },
    (e: unknown) => {
      replay();
      throw e;
    },
  );
}

/** Gives back a lock ahead that deploy-app will not use (its task was skipped). */
export async function releaseLockAhead(t: LockAheadKey): Promise<void> {
  const k = key(t);
  const a = ahead.get(k);
  if (!a || a.taken) return;
  ahead.delete(k);
  await settleAndRelease(a);
}

/** Gives back every lock ahead that no deploy-app took (end of the batch, also on interrupt). */
export async function releaseLocksAhead(): Promise<void> {
  const left = [...ahead.values()].filter((a) => !a.taken);
  ahead.clear();
  await Promise.all(left.map(settleAndRelease));
}

/** Locks ahead registered and not yet taken or given back. */
export function pendingLocksAhead(): number {
  return [...ahead.values()].filter((a) => !a.taken).length;
}

async function settleAndRelease(a: Ahead): Promise<void> {
  // A lock still deciding or waiting for a holder stops; one that was won is given back.
  a.abort.abort();
  const l = await a.lock.catch(() => undefined);
  await l?.release();
}
