/**
 * Locks taken ahead (batch mode). When a batch's first read of a service already shows that the
 * app's deploy-app will change it (plan `update`), the service lock is acquired while the app's
 * image is still being built and pushed: the lock's settle window (lock.ts, 1 s) then costs the
 * rollout nothing. deploy-app takes that lock instead of acquiring its own (`take`) and releases it
 * as always; a lock whose deploy-app never runs (its build failed, the run was interrupted) is given
 * back when the batch skips that task (`release`) or the run's session closes.
 *
 * The lock is the same lock, taken the same way, only earlier: it is held from the start of the
 * app's chain instead of the start of its deploy-app step. A concurrent deploy of the same service
 * learns LOCKED sooner, and `--lock-wait` counts from the chain's start.
 *
 * The entry is registered before any task starts, so a deploy-app that starts early waits for the
 * decision instead of racing a lock of its own against the one taken ahead. Deciding and acquiring
 * begin only when the app's chain starts (`begin`, the batch calls it when the app's first
 * task starts): the locks ahead follow the batch's `maxParallel`, so a run of hundreds of changed
 * apps neither holds hundreds of locks at once nor sends their tag calls in one burst.
 * The events acquiring emits (waiting for a holder, taking over an expired lock) are kept and
 * replayed into deploy-app's own output, where they would have appeared without lock-ahead.
 */
import { sessionPart, type FerryEvent, type Reporter } from '@ferry/core';
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

const keyOf = (t: LockAheadKey) => JSON.stringify([t.env, t.cluster, t.service]);

/** The locks a run takes ahead; one per service and environment. */
export class LocksAhead {
  private readonly ahead = new Map<string, Ahead>();

  /**
   * Registers a lock ahead for this service; once begun (`begin`), decides in the background: when
   * `decide` resolves true the lock is acquired, otherwise nothing is written. A second call for
   * the same service is ignored. Never throws; a failure to acquire surfaces in deploy-app, a
   * failure to decide means no lock ahead.
   */
  start(ecs: EcsPort, t: LockAheadTarget, o: Omit<LockOptions, 'reporter' | 'signal' | 'force'>, decide: () => Promise<boolean>): void {
    const k = keyOf(t);
    if (this.ahead.has(k)) return;
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
    this.ahead.set(k, { lock, events, abort, begin, taken: false });
  }

  /** The app's chain started: decide and, if so, acquire now. Idempotent; unknown keys are ignored. */
  begin(t: LockAheadKey): void {
    this.ahead.get(keyOf(t))?.begin();
  }

  /**
   * The lock ahead of this service, once: a promise of the held lock (undefined: none was taken,
   * acquire your own), with the events acquiring emitted replayed into `reporter` when it settles.
   * Undefined when none was registered. Aborting `signal` stops a lock still waiting for its holder.
   */
  take(t: LockAheadKey, reporter: Reporter, signal?: AbortSignal): Promise<HeldLock | undefined> | undefined {
    const a = this.ahead.get(keyOf(t));
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
  async release(t: LockAheadKey): Promise<void> {
    const k = keyOf(t);
    const a = this.ahead.get(k);
    if (!a || a.taken) return;
    this.ahead.delete(k);
    await settleAndRelease(a);
  }

  /** Gives back every lock ahead that no deploy-app took (the end of the run, also on interrupt). */
  async releaseAll(): Promise<void> {
    const left = [...this.ahead.values()].filter((a) => !a.taken);
    this.ahead.clear();
    await Promise.all(left.map(settleAndRelease));
  }

  /** Locks ahead registered and not yet taken or given back. */
  pending(): number {
    return [...this.ahead.values()].filter((a) => !a.taken).length;
  }
}

async function settleAndRelease(a: Ahead): Promise<void> {
  // A lock still deciding or waiting for a holder stops; one that was won is given back.
  a.abort.abort();
  const l = await a.lock.catch(() => undefined);
  await l?.release();
}

/** The run's locks taken ahead; whatever no deploy-app took is given back when the session closes. */
export const locksAhead = sessionPart('locks taken ahead', (s) => {
  const locks = new LocksAhead();
  s.onClose(() => locks.releaseAll());
  return locks;
});
