/**
 * The run session: everything one ferry run shares, in one object created at the entry and passed
 * down. A run is one Nx batch of tasks, or a single target run on its own (a batch of one): both
 * go through the same runner (libs/ferry/targets/src/run.ts), which creates the session, hands it
 * to every task in its TargetContext, and closes it at the end.
 *
 * What lives here is what one run must see once and only once: the clock, the git snapshot the run
 * deploys, the content tags and project graph computed from it, the AWS clients (one adaptive rate
 * limiter per account and Region), the read-through cache of live ECS state, the deploy locks taken
 * ahead, and the budget of fast rollout polls. Libraries never keep such things in module state:
 * each concern declares a typed *part* (`sessionPart`) that the session creates on first use, so
 * two sessions (two runs in one process, or two tests) never see each other's state.
 *
 * The parts and where they are defined (docs/architecture.md has the same table):
 *   git revision memo      core/git.ts             gitRevisionMemo
 *   project graph memo     core/graph.ts           projectGraphMemo
 *   content tag memo       core/content-tag        contentTagMemo
 *   AWS clients            aws/clients.ts          awsClients
 *   live ECS state         aws/live-ecs.ts         (held by the AWS client pool, per environment)
 *   locks taken ahead      deploy/lock-ahead.ts    locksAhead
 *   rollout pollers        deploy/service-polls.ts rolloutPolls (shared DescribeServices, fast-poll budget)
 *   deregistration budget  deploy/revisions.ts     deregistrations
 *   run-time secrets       core/redact.ts          runSecrets (what every printer of the run masks)
 *   RegisterTaskDefinition check  core/task-template.ts  registerInputCheck
 */
import { randomBytes } from 'node:crypto';

/** Time, injectable: tests drive the watcher and the lock with a fake clock. */
export interface Clock {
  now(): number;
  /** Resolves true after `ms`, or false as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<boolean>;
}

/** The wall clock and real timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => {
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};

/** One typed piece of session state, created on first use (`session.use(part)`), one per session. */
export interface SessionPart<T> {
  readonly name: string;
  create(session: RunSession): T;
}

/** Declares a session part. The returned key is immutable; the state lives in each session. */
export function sessionPart<T>(name: string, create: (session: RunSession) => T): SessionPart<T> {
  return Object.freeze({ name, create });
}

export interface RunSessionOptions {
  workspaceRoot: string;
  clock?: Clock;
  /** The process environment the run reads its settings from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export class RunSession {
  /** A short random id, for logs and for telling two runs apart. */
  readonly id = randomBytes(4).toString('hex');
  readonly workspaceRoot: string;
  readonly clock: Clock;
  readonly env: NodeJS.ProcessEnv;
  private readonly parts = new Map<SessionPart<unknown>, unknown>();
  private readonly closers: Array<() => Promise<void> | void> = [];
  private closed = false;

  constructor(o: RunSessionOptions) {
    this.workspaceRoot = o.workspaceRoot;
    this.clock = o.clock ?? systemClock;
    this.env = o.env ?? process.env;
  }

  /** This session's instance of `part` (created now if it is the first use). */
  use<T>(part: SessionPart<T>): T {
    if (this.parts.has(part)) return this.parts.get(part) as T;
    const made = part.create(this);
    this.parts.set(part, made);
    return made;
  }

  /** Runs `fn` when the session closes (locks taken ahead are given back there), last registered first. */
  onClose(fn: () => Promise<void> | void): void {
    this.closers.unshift(fn);
  }

  /** Ends the run: every close hook runs once, also when an earlier one failed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const fn of this.closers.splice(0)) {
      try {
        await fn();
      } catch {
        // A close hook reports its own problems; the next one still runs.
      }
    }
  }
}

/**
 * A promise memo keyed by string: the first call for a key computes, later calls share the answer;
 * a rejected computation is forgotten so the next call tries again.
 */
/**
 * At most `size` holders at once; the others wait in arrival order. For work that must not run
 * all at once although its tasks do (image builds: CPU-bound, capped at the cores).
 */
export class Slots {
  private used = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`Slots: size must be a whole number >= 1 (got ${size})`);
  }

  /** Runs `fn` once a slot is free, and frees it when `fn` settles. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.used >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.used++;
    try {
      return await fn();
    } finally {
      // The slot passes straight to the next waiter, or is given back.
      const next = this.waiting.shift();
      if (next) next();
      else this.used--;
    }
  }

  /** How many holders run now. */
  get running(): number {
    return this.used;
  }
}

export class PromiseMemo<T> {
  private readonly map = new Map<string, Promise<T>>();
  get(key: string, compute: () => Promise<T>): Promise<T> {
    let p = this.map.get(key);
    if (!p) {
      p = compute();
      this.map.set(key, p);
      p.catch(() => this.map.delete(key));
    }
    return p;
  }
  clear(): void {
    this.map.clear();
  }
}
