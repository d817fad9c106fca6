import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { RunSession } from '@ferry/core';
import type { TargetSpec } from '@ferry/ui';
import { runBatch, validateBatch, type BatchOptions, type BatchTask, type BatchTaskResult } from './batch.ts';
import { envFlag } from './prefetch.ts';
import { maxParallelFrom } from './batch-entry.ts';

// runTarget looks for the workspace root (nx.json) from cwd.
const root = mkdtempSync(join(tmpdir(), 'ferry-batch-'));
writeFileSync(join(root, 'nx.json'), '{}');
test.after(() => rmSync(root, { recursive: true, force: true }));

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Specs whose main records what ran and when, and can fail or wait for a signal. */
function recorder() {
  const log: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const spec = (name: string, o: { fail?: (project: string) => boolean; ms?: number } = {}): TargetSpec<Record<string, unknown>> => ({
    target: name,
    options: {},
    async main({ args, reporter, signal }) {
      running++;
      maxRunning = Math.max(maxRunning, running);
      log.push(`start ${args.project}:${name}`);
      reporter.emit({ kind: 'info', app: String(args.project), message: `hello from ${name}` });
      try {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, o.ms ?? 5);
          signal.addEventListener('abort', () => {
            clearTimeout(t);
            reject(signal.reason);
          });
        });
      } finally {
        running--;
      }
      log.push(`end ${args.project}:${name}`);
      return o.fail?.(String(args.project)) ? 3 : 0;
    },
  });
  return { log, spec, max: () => maxRunning };
}

const CHAIN = ['build-image', 'push', 'deploy-app'];
function chainTasks(projects: string[], chain = CHAIN): BatchTask[] {
  return projects.flatMap((p) =>
    chain.map((s, i) => ({ id: `${p}:${s}`, project: p, script: s, argv: [`--project=${p}`], dependsOn: i ? [`${p}:${chain[i - 1]}`] : [] })),
  );
}

async function collect(tasks: BatchTask[], o: Omit<BatchOptions, 'workspaceRoot' | 'session'>): Promise<BatchTaskResult[]> {
  const out: BatchTaskResult[] = [];
  for await (const r of runBatch(tasks, { workspaceRoot: root, session: new RunSession({ workspaceRoot: root }), ...o })) out.push(r);
  return out;
}

test('every task runs once, after its dependencies, never more than maxParallel at a time', async () => {
  const r = recorder();
  const specs = Object.fromEntries(CHAIN.map((s) => [s, r.spec(s)]));
  const results = await collect(chainTasks(['a', 'b', 'c', 'd']), { specs, maxParallel: 2 });
  assert.is(results.length, 12);
  assert.ok(results.every((x) => x.status === 'success' && x.code === 0));
  assert.is(r.max(), 2);
  for (const p of ['a', 'b', 'c', 'd']) {
    const at = (what: string) => r.log.indexOf(what);
    assert.ok(at(`end ${p}:build-image`) < at(`start ${p}:push`), `${p}: push after build-image`);
    assert.ok(at(`end ${p}:push`) < at(`start ${p}:deploy-app`), `${p}: deploy-app after push`);
  }
});

test('onStart is told of each task right before it runs, never of a skipped one', async () => {
  const r = recorder();
  const specs = Object.fromEntries(CHAIN.map((s) => [s, r.spec(s, { fail: (p) => p === 'b' })]));
  const started: string[] = [];
  const results = await collect(chainTasks(['a', 'b']), {
    specs,
    maxParallel: 1,
   
    onStart: (t) => started.push(`${t.id} (${r.log.filter((l) => l.startsWith('start')).length} started before)`),
  });
  assert.is(results.filter((x) => x.status === 'skipped').length, 2, 'b:push and b:deploy-app skipped');
  assert.equal(started.map((x) => x.split(' ')[0]).sort(), ['a:build-image', 'a:deploy-app', 'a:push', 'b:build-image']);
  const first = started.find((x) => x.startsWith('a:build-image'))!;
  assert.ok(/\((0|1) started before\)/.test(first), `called before the task itself started: ${first}`);
});

test('a consumer that takes its time never strands a task that became ready meanwhile', async () => {
  const r = recorder();
  const specs = Object.fromEntries(CHAIN.map((s) => [s, r.spec(s, { ms: 1 })]));
  const seen: string[] = [];
  const run = (async () => {
    for await (const x of runBatch(chainTasks(['a', 'b']), { workspaceRoot: root, session: new RunSession({ workspaceRoot: root }), specs, maxParallel: 4 })) {
      seen.push(x.id);
      // Nx sends each result over IPC before it asks for the next one.
      await tick(30);
    }
  })();
  const outcome = await Promise.race([run.then(() => 'done'), tick(5000).then(() => 'stuck')]);
  assert.is(outcome, 'done', `results so far: ${seen.join(', ')}`);
  assert.is(seen.length, 6);
});

test('later steps of started apps go first', async () => {
  const r = recorder();
  const specs = Object.fromEntries(CHAIN.map((s) => [s, r.spec(s)]));
  await collect(chainTasks(['a', 'b', 'c', 'd', 'e']), { specs, maxParallel: 2, priority: (s) => CHAIN.indexOf(s) });
  // a's push is ready when a's build ends: it must not wait for every other app's build.
  assert.ok(r.log.indexOf('start a:push') < r.log.indexOf('start e:build-image'));
});

test('a failed task fails alone; its dependents are skipped and other apps finish', async () => {
  const r = recorder();
  const specs = { ...Object.fromEntries(CHAIN.map((s) => [s, r.spec(s)])), push: r.spec('push', { fail: (p) => p === 'b' }) };
  const results = await collect(chainTasks(['a', 'b', 'c']), { specs, maxParallel: 3 });
  const by = Object.fromEntries(results.map((x) => [x.id, x]));
  assert.is(by['b:push'].status, 'failure');
  assert.is(by['b:push'].code, 3);
  assert.is(by['b:deploy-app'].status, 'skipped');
  assert.not.ok(r.log.includes('start b:deploy-app'));
  for (const p of ['a', 'c']) assert.is(by[`${p}:deploy-app`].status, 'success');
});

test("each task's output is its own; live output is forwarded as it is written", async () => {
  const r = recorder();
  const specs = Object.fromEntries(CHAIN.map((s) => [s, r.spec(s)]));
  let live = '';
  const sink = new Writable({ write: (c, _e, done) => ((live += String(c)), done()) });
  const results = await collect(chainTasks(['a', 'b'], ['push']), { specs, maxParallel: 2, live: { out: sink, err: sink } });
  const a = results.find((x) => x.id === 'a:push')!;
  assert.match(a.output, /\[a\].*hello from push/);
  assert.not.match(a.output, /\[b\]/);
  assert.match(live, /\[a\].*hello from push/);
  assert.match(live, /\[b\].*hello from push/);
});

test('an interrupt stops running tasks (exit 130) and skips the rest', async () => {
  const r = recorder();
  const specs = Object.fromEntries(CHAIN.map((s) => [s, r.spec(s, { ms: 10_000 })]));
  const signals = new EventEmitter();
  const run = collect(chainTasks(['a', 'b']), { specs, maxParallel: 1, signals });
  await tick(100);
  signals.emit('SIGINT');
  const results = await run;
  assert.is(results.length, 6);
  assert.equal(results.filter((x) => x.status === 'failure').map((x) => x.code), [130]);
  assert.is(results.filter((x) => x.status === 'skipped').length, 5);
  assert.is(signals.listenerCount('SIGINT'), 0, 'the batch removes its signal handlers');
});

test('bad batches are refused with the reason', () => {
  const specs = { push: {}, 'deploy-app': {} };
  const t = (id: string, script: string, dependsOn: string[] = []): BatchTask => ({ id, project: 'a', script, argv: [], dependsOn });
  assert.match(validateBatch([t('x', 'nope')], specs)!, /no target script named 'nope'/);
  assert.match(validateBatch([t('x', 'push', ['y'])], specs)!, /depends on y, which is not in the batch/);
  assert.match(validateBatch([t('x', 'push', ['y']), t('y', 'push', ['x'])], specs)!, /cycle/);
  assert.match(validateBatch([t('x', 'push'), t('x', 'push')], specs)!, /duplicate/);
  assert.is(validateBatch([t('x', 'push'), t('y', 'deploy-app', ['x'])], specs), undefined);
});

test('flags: --env in its three spellings; FERRY_MAX_PARALLEL', () => {
  assert.is(envFlag(['--project=a', '--env=prod']), 'prod');
  assert.is(envFlag(['--env', 'staging']), 'staging');
  assert.is(envFlag(['-e', 'local']), 'local');
  assert.is(envFlag(['--project=a']), undefined);
  assert.is(maxParallelFrom({ FERRY_MAX_PARALLEL: '3' }), 3);
  assert.is(maxParallelFrom({ FERRY_MAX_PARALLEL: '0' }), 8);
  assert.is(maxParallelFrom({ FERRY_MAX_PARALLEL: 'many' }), 8);
  assert.is(maxParallelFrom({}), 8);
  assert.is(maxParallelFrom({}, [undefined, 4, 6]), 4, 'the smallest maxParallel of the environments');
  assert.is(maxParallelFrom({ FERRY_MAX_PARALLEL: '12' }, [4]), 12, 'the variable wins');
});

test.run();
