/**
 * The batch implementation of the `script` executor: Nx hands it every ferry task of a run whose
 * dependencies are done (for `nx run-many -t deploy`: each app's build-image, push, deploy-app,
 * health-check, smoke-test and deploy once the app's `build` finished) and it runs them in this one
 * worker process, in dependency order, a bounded number at a time (libs/ferry/targets/src/batch.ts).
 * Nx uses it without any flag because executors.json sets `preferBatch`; `--batch=false` (or
 * `NX_BATCH_MODE=false`) goes back to one process per task.
 *
 * In-process needs the esbuild bundle of ferry's code (launch.ts; the npm package ships one). When
 * there is none (bundling failed, or `scriptsDir` points at the workspace's own scripts) each task
 * runs as its own `node <script>` child, one at a time, with the same results.
 */
import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchArgs, runNode } from './launch.ts';
import { PACKAGE_NAME } from './mode.ts';
import { scriptCommand, type ScriptExecutorOptions } from './script-args.ts';

/** The parts of Nx's task graph this reads (Nx's own types would pull @nx/devkit into the package). */
interface TaskLike {
  id: string;
  target: { project: string; target: string; configuration?: string };
}
interface TaskGraphLike {
  tasks: Record<string, TaskLike>;
  /** Nx 23: the ids of the tasks a task depends on. Nx 24: edges, `{ id, … }` (TaskGraphEdge). */
  dependencies: Record<string, readonly unknown[]>;
}

/**
 * The ids of the tasks one task depends on, in either shape Nx hands a batch executor: strings
 * (Nx 23) or edges with an `id` (Nx 24's TaskGraphEdge, `nx/src/native/index.d.ts`). Anything else
 * throws: reading no dependencies would start every step of an app at once and still report the
 * app's `deploy` as done, so an unknown shape must fail the batch instead. Pure.
 */
export function dependencyIds(taskId: string, edges: readonly unknown[] | undefined): string[] {
  return (edges ?? []).map((edge) => {
    if (typeof edge === 'string') return edge;
    const id = edge && typeof edge === 'object' ? (edge as { id?: unknown }).id : undefined;
    if (typeof id === 'string') return id;
    throw new Error(
      `ferry: task ${taskId} has a dependency in a shape this version of @ferry/nx does not know (${JSON.stringify(edge)}); ` +
        'no task of this batch was run. Install the Nx version @ferry/nx supports (its peerDependencies), or a newer @ferry/nx.',
    );
  });
}
interface ContextLike {
  root: string;
}
interface TaskResultLike {
  success: boolean;
  terminalOutput: string;
  startTime?: number;
  endTime?: number;
  status?: 'success' | 'failure' | 'skipped';
}

/** What the bundle of scripts/batch.ts exports (libs/ferry/targets/src/batch-entry.ts). */
interface BatchModule {
  runTasksInProcess(
    tasks: { id: string; project: string; script: string; argv: string[]; dependsOn: string[] }[],
    opts: { workspaceRoot: string; live?: { out: NodeJS.WritableStream; err: NodeJS.WritableStream }; timings?: Record<string, unknown> },
  ): AsyncGenerator<{ id: string; status: 'success' | 'failure' | 'skipped'; output: string; startTime: number; endTime: number }>;
}

interface PlannedTask {
  id: string;
  project: string;
  script: string;
  /** Flags for the script (after the file). */
  argv: string[];
  nodeArgs: string[];
  shown: string;
  file: string;
  custom: boolean;
  dependsOn: string[];
}

/** Each task's script, flags and in-batch dependencies. Pure; throws on a dependency it cannot read. */
export function planBatch(taskGraph: TaskGraphLike, inputs: Record<string, ScriptExecutorOptions>, where: { workspaceRoot: string; bundledDir?: string }): PlannedTask[] {
  const ids = new Set(Object.keys(taskGraph.tasks));
  const deps = Object.fromEntries(Object.keys(taskGraph.tasks).map((id) => [id, dependencyIds(id, taskGraph.dependencies[id])]));
  return Object.values(taskGraph.tasks).map((task) => {
    const options = inputs[task.id];
    const { file, shown, nodeArgs } = scriptCommand(options, task.target.project, where);
    const fileAt = nodeArgs.indexOf(file);
    return {
      id: task.id,
      project: task.target.project,
      script: options.script,
      argv: nodeArgs.slice(fileAt + 1),
      nodeArgs,
      shown,
      file,
      custom: options.scriptsDir !== undefined,
      // Dependencies outside the batch already succeeded: Nx forms a batch only of tasks whose
      // other dependencies are done, and skips the dependents of a failed one itself.
      dependsOn: deps[task.id].filter((d) => ids.has(d)),
    };
  });
}

/** The bundled batch module, or why there is none. */
async function loadBatchModule(root: string, bundledDir: string | undefined): Promise<BatchModule | string> {
  let file: string;
  if (bundledDir) {
    file = join(bundledDir, 'batch.mjs');
  } else {
    const entry = join(root, 'scripts', 'batch.ts');
    if (!existsSync(entry)) return `${entry} does not exist`;
    const launch = await launchArgs(root, ['--import', 'tsx', entry]);
    if (launch.mode !== 'bundle') return launch.reason ?? 'no bundle';
    file = launch.args[0];
  }
  if (!existsSync(file)) return `${file} does not exist`;
  // Nx loads this file as CommonJS, which would turn a plain import() into require().
  const importEsm = new Function('url', 'return import(url)') as (url: string) => Promise<BatchModule>;
  return importEsm(pathToFileURL(file).href);
}

/** Nx streams the worker's output live under `--output-style=stream` and the TUI. */
const nxStreams = (env: NodeJS.ProcessEnv = process.env) => env.NX_STREAM_OUTPUT === 'true';

export default async function* runScriptBatch(
  taskGraph: TaskGraphLike,
  inputs: Record<string, ScriptExecutorOptions>,
  _overrides: unknown,
  context: ContextLike,
): AsyncGenerator<{ task: string; result: TaskResultLike }> {
  const bundledDir = PACKAGE_NAME && typeof __dirname === 'string' ? __dirname : undefined;
  const tasks = planBatch(taskGraph, inputs, { workspaceRoot: context.root, bundledDir });
  const started = performance.now();
  // Like a task process, the worker runs inside an Nx run that has just written the project
  // graph: this is what tells ferry to read that graph instead of asking Nx again (core/graph.ts).
  if (tasks.length) process.env.NX_TASK_TARGET_PROJECT ??= tasks[0].project;
  const inProcess = !tasks.some((t) => t.custom) ? await loadBatchModule(context.root, bundledDir) : 'custom scripts';
  const timings: Record<string, unknown> = {
    pid: process.pid,
    // Node start-up and Nx's batch worker before it called this executor.
    workerStartMs: Math.round(process.uptime() * 1000 - (performance.now() - started)),
    loadMs: performance.now() - started,
    mode: typeof inProcess === 'string' ? `one process per task (${inProcess})` : 'in process',
  };
  try {
    yield* runAll(context, tasks, inProcess, timings);
  } finally {
    const file = process.env.FERRY_BATCH_TIMINGS;
    if (file) {
      const cpu = process.cpuUsage();
      appendFileSync(file, `${JSON.stringify({ ...timings, totalMs: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
    }
  }
}

async function* runAll(context: ContextLike, tasks: PlannedTask[], inProcess: BatchModule | string, timings: Record<string, unknown>): AsyncGenerator<{ task: string; result: TaskResultLike }> {

  if (typeof inProcess !== 'string') {
    // Streaming: the output reaches the terminal as it happens, so the per-task copy Nx prints
    // after each task would repeat it. Otherwise Nx shows each task's captured output (in full
    // for failures), which is what the live copy would have been.
    const stream = nxStreams();
    process.chdir(context.root);
    for await (const r of inProcess.runTasksInProcess(tasks, { workspaceRoot: context.root, timings, ...(stream ? { live: { out: process.stdout, err: process.stderr } } : {}) })) {
      yield {
        task: r.id,
        result: { success: r.status === 'success', status: r.status, terminalOutput: stream ? '' : r.output, startTime: r.startTime, endTime: r.endTime },
      };
    }
    return;
  }

  // One child per task, in dependency order.
  const status = new Map<string, 'success' | 'failure' | 'skipped'>();
  const left = [...tasks];
  while (left.length) {
    const i = left.findIndex((t) => t.dependsOn.every((d) => status.has(d)));
    const [task] = left.splice(i < 0 ? 0 : i, 1);
    const startTime = Date.now();
    if (task.dependsOn.some((d) => status.get(d) !== 'success')) {
      status.set(task.id, 'skipped');
      yield { task: task.id, result: { success: false, status: 'skipped', terminalOutput: '', startTime, endTime: startTime } };
      continue;
    }
    const code = await runChild(context.root, task);
    status.set(task.id, code === 0 ? 'success' : 'failure');
    yield { task: task.id, result: { success: code === 0, terminalOutput: '', startTime, endTime: Date.now() } };
  }
}

async function runChild(root: string, task: PlannedTask): Promise<number> {
  if (!existsSync(task.file)) {
    console.error(`ferry: ${task.shown} does not exist (${task.file}); the ${task.script} target has no script to run.`);
    return 1;
  }
  const { args } = await launchArgs(root, task.nodeArgs);
  return runNode(root, args, task.shown);
}
