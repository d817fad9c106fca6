/**
 * Runs many target tasks (every app's build-image -> push -> deploy-app -> health-check ->
 * smoke-test -> deploy of one Nx run) in ONE process, in dependency order, a bounded number at a
 * time. This is what the Nx batch executor calls (tools/nx-plugin/src/batch.ts).
 *
 * Why: a process per task costs ~1 s of CPU (node start, module loading, config, a new AWS
 * client), six per app. Here they share one process, so they also share the AWS clients (one
 * adaptive-retry rate limiter per account and region), the project graph, and the reads that
 * `prefetch.ts` takes for all apps at once (one DescribeServices per 10 services).
 *
 * Every task still goes through `runTarget` with its own argv, reporter and output, so flags,
 * messages and exit codes are those of `nx run <app>:<target>` in its own process.
 */
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { runSecrets, type RunSession } from '@ferry/core';
import { runTarget, type TargetSpec } from '@ferry/ui';

/** One task of the batch. */
export interface BatchTask {
  /** Nx task id (`api:deploy-app:local`). */
  id: string;
  project: string;
  /** Target script name: a key of the spec table (`deploy-app`). */
  script: string;
  /** The flags `nx run` would pass the script (`--project=api --env=local ...`). */
  argv: string[];
  /** Ids of tasks in this batch that must succeed first (dependencies outside it already did). */
  dependsOn: string[];
}

export type BatchStatus = 'success' | 'failure' | 'skipped';

export interface BatchTaskResult {
  id: string;
  status: BatchStatus;
  /** The exit code runTarget returned (0 on success); undefined when skipped. */
  code?: number;
  /** Everything the task wrote (empty when skipped). */
  output: string;
  startTime: number;
  endTime: number;
}

export interface BatchOptions {
  /** Target specs by script name. */
  specs: Readonly<Record<string, TargetSpec<any>>>;
  workspaceRoot: string;
  /** The run every task belongs to (batch-entry.ts creates and closes it). */
  session: RunSession;
  /** How many tasks run at once. */
  maxParallel: number;
  /** Live output: each task's writes are forwarded here as they happen; omit to only capture. */
  live?: { out: NodeJS.WritableStream; err: NodeJS.WritableStream };
  /** SIGINT/SIGTERM source (default process): on a signal running tasks are interrupted, pending ones skipped. */
  signals?: NodeJS.EventEmitter;
  /** Pipeline position of a script: later steps start first, so started apps finish first. */
  priority?: (script: string) => number;
  /** Called as each task starts, before it runs. */
  onStart?: (task: BatchTask) => void;
}

/** A Writable that keeps what it is given and optionally forwards it. */
class TaskOutput extends Writable {
  readonly chunks: string[] = [];
  /** A batch of one owns the terminal: it may draw spinners there (the reporter reads these). */
  readonly isTTY?: boolean;
  readonly columns?: number;
  constructor(private readonly forward?: NodeJS.WritableStream, ownsTerminal = false) {
    super({ decodeStrings: false });
    const tty = forward as (NodeJS.WritableStream & { isTTY?: boolean; columns?: number }) | undefined;
    if (ownsTerminal && tty?.isTTY) {
      this.isTTY = true;
      this.columns = tty.columns;
    }
  }
  override _write(chunk: unknown, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    const text = typeof chunk === 'string' ? chunk : String(chunk);
    this.chunks.push(text);
    if (this.forward) this.forward.write(text);
    done();
  }
  text(): string {
    return this.chunks.join('');
  }
}

/** Checks the batch is a DAG over its own ids; returns a usage problem or undefined. */
export function validateBatch(tasks: readonly BatchTask[], specs: Readonly<Record<string, unknown>>): string | undefined {
  const ids = new Set(tasks.map((t) => t.id));
  if (ids.size !== tasks.length) return 'duplicate task ids in the batch';
  for (const t of tasks) {
    if (!specs[t.script]) return `task ${t.id}: no target script named '${t.script}' (known: ${Object.keys(specs).join(', ')})`;
    for (const d of t.dependsOn) if (!ids.has(d)) return `task ${t.id} depends on ${d}, which is not in the batch`;
  }
  // Kahn: every task must become ready at some point.
  const indegree = new Map(tasks.map((t) => [t.id, t.dependsOn.length]));
  const dependents = new Map<string, string[]>();
  for (const t of tasks) for (const d of t.dependsOn) dependents.set(d, [...(dependents.get(d) ?? []), t.id]);
  const queue = tasks.filter((t) => t.dependsOn.length === 0).map((t) => t.id);
  let seen = 0;
  while (queue.length) {
    const id = queue.pop()!;
    seen++;
    for (const n of dependents.get(id) ?? []) {
      const left = indegree.get(n)! - 1;
      indegree.set(n, left);
      if (left === 0) queue.push(n);
    }
  }
  return seen === tasks.length ? undefined : 'the tasks depend on each other in a cycle';
}

/**
 * Runs the tasks and yields each result as it ends. A task whose dependency failed (or was
 * skipped) is yielded as `skipped` without running, like Nx does for its own task graph.
 */
export async function* runBatch(tasks: readonly BatchTask[], opts: BatchOptions): AsyncGenerator<BatchTaskResult> {
  const problem = validateBatch(tasks, opts.specs);
  if (problem) throw new Error(`ferry batch: ${problem}`);
  const maxParallel = Math.max(1, Math.floor(opts.maxParallel));
  const priority = opts.priority ?? (() => 0);
  const status = new Map<string, BatchStatus | 'running'>();
  const done: BatchTaskResult[] = [];
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };

  // One relay for every task's runTarget, so twenty tasks do not add forty process listeners.
  const source = opts.signals ?? process;
  const relay = new EventEmitter();
  relay.setMaxListeners(0);
  let interrupted = false;
  const onInt = () => {
    interrupted = true;
    relay.emit('SIGINT');
    notify();
  };
  const onTerm = () => {
    interrupted = true;
    relay.emit('SIGTERM');
    notify();
  };
  source.on('SIGINT', onInt);
  source.on('SIGTERM', onTerm);

  let running = 0;
  const start = (task: BatchTask) => {
    opts.onStart?.(task);
    status.set(task.id, 'running');
    running++;
    const out = new TaskOutput(opts.live?.out, tasks.length === 1);
    const err = new TaskOutput(opts.live?.err, tasks.length === 1);
    const startTime = Date.now();
    const finish = (code: number | undefined, extra = '') => {
      running--;
      const result: BatchTaskResult = {
        id: task.id,
        status: code === 0 ? 'success' : 'failure',
        code,
        output: combine(out, err) + extra,
        startTime,
        endTime: Date.now(),
      };
      status.set(task.id, result.status);
      done.push(result);
      notify();
    };
    runTarget({ ...opts.specs[task.script], argv: task.argv, out, err, exit: () => undefined, cwd: opts.workspaceRoot, signals: relay, session: opts.session }).then(
      (code) => finish(code),
      // runTarget reports main's errors itself; this is a failure of the runner around it (masked like the task's own output).
      (e: unknown) => finish(70, opts.session.use(runSecrets).redact(`ferry: ${task.id} could not run: ${(e as Error)?.message ?? e}\n`)),
    );
  };

  const pending = new Map(tasks.map((t) => [t.id, t]));
  try {
    while (pending.size > 0 || running > 0) {
      // Skip what can no longer run, then start what is ready, most advanced step first.
      let progressed = true;
      while (progressed) {
        progressed = false;
        for (const t of pending.values()) {
          const blocked = t.dependsOn.some((d) => status.get(d) === 'failure' || status.get(d) === 'skipped');
          if (blocked || interrupted) {
            pending.delete(t.id);
            status.set(t.id, 'skipped');
            const now = Date.now();
            done.push({ id: t.id, status: 'skipped', output: '', startTime: now, endTime: now });
            progressed = true;
          }
        }
      }
      const ready = [...pending.values()]
        .filter((t) => t.dependsOn.every((d) => status.get(d) === 'success'))
        .sort((a, b) => priority(b.script) - priority(a.script));
      for (const t of ready) {
        if (running >= maxParallel) break;
        pending.delete(t.id);
        start(t);
      }
      if (done.length) {
        // While the consumer holds a result, tasks may finish and make others ready: look again
        // before waiting, or a task made ready meanwhile would never start.
        while (done.length) yield done.shift()!;
        continue;
      }
      if (pending.size === 0 && running === 0) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    while (done.length) yield done.shift()!;
  } finally {
    source.off('SIGINT', onInt);
    source.off('SIGTERM', onTerm);
  }
}

function combine(out: TaskOutput, err: TaskOutput): string {
  return out.text() + err.text();
}
