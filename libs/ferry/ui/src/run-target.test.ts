import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FerryError, runSecrets, RunSession } from '@ferry/core';
import { runTarget, type TargetSpec } from './run-target.ts';

// Colour depends on the environment; these tests compare plain text.
process.env.NO_COLOR = '1';
delete process.env.FORCE_COLOR;

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '../../../..');

function sink() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d) => (text += d));
  return { stream, text: () => text };
}

async function run(argv: string[], main: TargetSpec<{ mode?: string }>['main'], extra: Partial<TargetSpec<{ mode?: string }>> = {}) {
  const out = sink();
  const err = sink();
  let exited: number | undefined;
  const code = await runTarget<{ mode?: string }>({
    target: 'demo',
    options: { mode: { type: 'string' } },
    main,
    argv,
    out: out.stream,
    err: err.stream,
    exit: (c) => (exited = c),
    cwd: repoRoot,
    signals: new EventEmitter(),
    ...extra,
  });
  assert.is(exited, code);
  return { code, out: out.text(), err: err.text() };
}

test('main gets parsed flags, the workspace root and a reporter; its number is the exit code', async () => {
  let seen: unknown;
  const r = await run(['--project', 'api', '--env=prod', '--mode', 'x', '--verbose'], async ({ args, workspaceRoot, reporter }) => {
    seen = { project: args.project, env: args.env, mode: args.mode, verbose: args.verbose, json: args.json, workspaceRoot };
    reporter.emit({ kind: 'info', app: 'api', message: 'hello' });
    return 4;
  });
  assert.is(r.code, 4);
  assert.equal(seen, { project: 'api', env: 'prod', mode: 'x', verbose: true, json: false, workspaceRoot: repoRoot });
  assert.is(r.out, '[api] hello\n');
});

test('an unknown flag is a usage error (exit 2) listing the valid flags', async () => {
  let called = false;
  const r = await run(['--project', 'api', '--bogus'], async () => ((called = true), 0));
  assert.is(r.code, 2);
  assert.not.ok(called);
  assert.match(r.err, /error: Unknown option '--bogus'/);
  assert.match(r.err, /Valid flags: --project, --env, --json, --verbose, --no-color, --help, --mode/);
});

test('--project is required unless NX_TASK_TARGET_PROJECT provides it or the target says so', async () => {
  const missing = await run([], async () => 0);
  assert.is(missing.code, 2);
  assert.match(missing.err, /--project is required/);
  process.env.NX_TASK_TARGET_PROJECT = 'web';
  try {
    let project: string | undefined;
    await run([], async ({ args }) => ((project = args.project), 0));
    assert.is(project, 'web');
  } finally {
    delete process.env.NX_TASK_TARGET_PROJECT;
  }
  const optional = await run([], async () => 0, { projectOptional: true });
  assert.is(optional.code, 0);
});

test('--help prints usage and exits 0', async () => {
  const r = await run(['--help'], async () => 1, { describe: { mode: 'how to behave' } });
  assert.is(r.code, 0);
  assert.match(r.out, /^Usage: nx run <project>:demo \[flags\]/);
  assert.match(r.out, /--mode <value>\s+how to behave/);
});

test('a FerryError prints its message and details and exits with its code; no stack', async () => {
  const r = await run(['-p', 'api'], async () => {
    throw new FerryError('CONFIG_INVALID', 'apps/api/deploy.json: cpu must be a string', { details: ['see docs/configuration.md'], exitCode: 3 });
  });
  assert.is(r.code, 3);
  assert.is(r.err, 'error: apps/api/deploy.json: cpu must be a string\n  see docs/configuration.md\n');
});

test('any other error is an internal error with its stack and where to report it (exit 70)', async () => {
  const r = await run(['-p', 'api'], async () => {
    throw new TypeError('boom');
  });
  assert.is(r.code, 70);
  assert.match(r.err, /^error: internal error: boom\n/);
  assert.match(r.err, /run-target\.test\.ts/);
  assert.match(r.err, /Please report it/);
});

test('--json puts the error into the single document on stdout', async () => {
  const r = await run(['-p', 'api', '--json'], async ({ reporter }) => {
    reporter.emit({ kind: 'result', app: 'api', target: 'demo', ok: false, summary: 'no' });
    throw new FerryError('DEPLOY_FAILED', 'rollout failed');
  });
  assert.is(r.code, 1);
  assert.is(r.err, '');
  const doc = JSON.parse(r.out);
  assert.equal(doc.results, [{ kind: 'result', app: 'api', target: 'demo', ok: false, summary: 'no' }]);
  assert.equal(doc.error, { code: 'DEPLOY_FAILED', message: 'rollout failed', details: [], exitCode: 1 });
});

test('a signal aborts main, waits for its cleanup, then exits 130 with "interrupted"', async () => {
  const signals = new EventEmitter();
  let cleaned = false;
  const pending = run(['-p', 'api'], ({ signal }) =>
    new Promise<number>((resolve) => {
      signal.addEventListener('abort', () => setTimeout(() => ((cleaned = true), resolve(0)), 50));
    }), { signals });
  setTimeout(() => signals.emit('SIGINT'), 20);
  const r = await pending;
  assert.ok(cleaned);
  assert.is(r.code, 130);
  assert.match(r.err, /error: interrupted/);
});

test('main that ignores the signal is cut off after the grace period', async () => {
  const signals = new EventEmitter();
  const pending = run(['-p', 'api'], () => new Promise<number>(() => undefined), { signals, interruptGraceMs: 50 });
  setTimeout(() => signals.emit('SIGTERM'), 10);
  const r = await pending;
  assert.is(r.code, 130);
});

// A run-time secret (a registry password) no pattern recognises: only its session can mask it.
const SECRET = 'zq7-Plain-Looking-Value';

test("a crash report and a FerryError are masked with the run's secrets; another run's output is not", async () => {
  const session = new RunSession({ workspaceRoot: repoRoot });
  session.use(runSecrets).add(SECRET);
  const crash = await run(['-p', 'api'], async () => {
    throw new TypeError(`cannot log in with ${SECRET}`);
  }, { session });
  assert.is(crash.code, 70);
  assert.match(crash.err, /^error: internal error: cannot log in with \*\*\*\n/);
  assert.not.ok(crash.err.includes(SECRET), crash.err);
  const ferry = await run(['-p', 'api', '--json'], async ({ reporter }) => {
    reporter.emit({ kind: 'info', app: 'api', message: `using ${SECRET}` });
    throw new FerryError('PUSH_FAILED', `refused ${SECRET}`, { details: [`docker said ${SECRET}`] });
  }, { session });
  assert.not.ok(ferry.out.includes(SECRET), ferry.out);
  assert.equal(JSON.parse(ferry.out).error, { code: 'PUSH_FAILED', message: 'refused ***', details: ['docker said ***'], exitCode: 1 });
  // The same failure in another run, which never obtained the value, is printed as it is.
  const other = await run(['-p', 'api'], async () => {
    throw new FerryError('PUSH_FAILED', `refused ${SECRET}`);
  }, { session: new RunSession({ workspaceRoot: repoRoot }) });
  assert.is(other.err, `error: refused ${SECRET}\n`);
});

test('a task without a run masks what it obtained in its own session, in its crash report too', async () => {
  const r = await run(['-p', 'api'], async ({ session, reporter }) => {
    session.use(runSecrets).add(SECRET);
    reporter.emit({ kind: 'info', app: 'api', message: `got ${SECRET}` });
    throw new Error(`crashed holding ${SECRET}`);
  });
  assert.is(r.code, 70);
  assert.is(r.out, '[api] got ***\n');
  assert.match(r.err, /^error: internal error: crashed holding \*\*\*\n/);
  assert.not.ok(r.err.includes(SECRET));
});

function runDemo(args: string[], signal?: NodeJS.Signals): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'testing/demo-target.ts'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, CI: '1', NO_COLOR: '1' },
    });
    let out = '';
    let err = '';
    let sent = false;
    child.stdout.on('data', (d) => {
      out += d;
      // One signal only: a second one, sent when the cleanup's own output arrives, would be a
      // second Ctrl-C and test something else.
      if (signal && !sent && out.includes('waiting')) {
        sent = true;
        child.kill(signal);
      }
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

test('as a real process: exit codes, redaction, SIGINT', async () => {
  const ok = await runDemo(['--project', 'api']);
  assert.is(ok.code, 0);
  assert.is(ok.out, '[api] build-image: building\n[api] build-image: done — built with password=***\n[api] demo: ok — done\n');
  const ferry = await runDemo(['--project', 'api', '--mode', 'ferry']);
  assert.is(ferry.code, 3);
  assert.is(ferry.err, 'error: the build failed\n  step 4/7: RUN npm ci\n');
  const bug = await runDemo(['--project', 'api', '--mode', 'bug']);
  assert.is(bug.code, 70);
  const usage = await runDemo(['--project', 'api', '--nope']);
  assert.is(usage.code, 2);
  const interrupted = await runDemo(['--project', 'api', '--mode', 'wait'], 'SIGINT');
  assert.is(interrupted.code, 130);
  assert.match(interrupted.out, /cleaned up/);
  assert.match(interrupted.err, /error: interrupted/);
});

test.run();
