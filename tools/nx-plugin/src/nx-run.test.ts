// The plugin and the script executor under real Nx: a temporary workspace with stub entry scripts
// that record how they were called. Proves what inference alone cannot: Nx accepts the targets,
// forwards --env and flags down the chain, skips a missing build target, and fails on a failing script.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
let ws = '';

function write(path: string, value: unknown): void {
  const file = join(ws, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
}

function nx(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repo, 'node_modules/nx/dist/bin/nx.js'), ...args, '--output-style=stream'], {
    cwd: ws,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NX_ISOLATE_PLUGINS: 'false', NX_CACHE_DIRECTORY: join(ws, '.nx-cache'), FORCE_COLOR: '0' },
    timeout: 120_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The stub scripts' calls, in order: `<script> <argv...>`. */
function calls(): string[] {
  const log = join(ws, 'calls.log');
  return existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
}

test.before(() => {
  ws = mkdtempSync(join(tmpdir(), 'ferry-nx-run-'));
  symlinkSync(join(repo, 'node_modules'), join(ws, 'node_modules'));
  for (const f of ['package.json', 'executors.json', 'src/index.ts', 'src/targets.ts', 'src/executor.ts', 'src/batch.ts', 'src/batch.cjs', 'src/compiled.cjs', 'src/index.cjs', 'src/executor.schema.json', 'src/script-args.ts', 'src/mode.ts', 'src/launch.ts']) {
    cpSync(join(repo, 'tools/nx-plugin', f), join(ws, 'tools/nx-plugin', f));
  }
  // The process port the launcher runs node through (and the error type it throws).
  for (const f of ['libs/ferry/core/src/exec.ts', 'libs/ferry/core/src/errors.ts', 'libs/ferry/core/src/app-refs.ts']) cpSync(join(repo, f), join(ws, f));
  write('package.json', { name: 'ws', private: true, type: 'module' });
  write('tsconfig.base.json', { compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowImportingTsExtensions: true, noEmit: true } });
  write('nx.json', { plugins: ['./tools/nx-plugin/src/index.cjs'] });
  write('ferry.json', { environments: { local: { kind: 'sandbox', region: 'us-east-1', cluster: 'l' }, prod: { kind: 'aws', region: 'eu-west-1', cluster: 'p' } } });
  const log = JSON.stringify(join(ws, 'calls.log'));
  for (const s of ['build-image', 'push', 'deploy-app', 'health-check', 'smoke-test', 'diff', 'rollback', 'deploy']) {
    const fail = s === 'smoke-test' ? `if (process.argv.includes('--env=prod')) process.exit(3);\n` : '';
    write(`scripts/${s}.ts`, `import { appendFileSync } from 'node:fs';\nappendFileSync(${log}, ${JSON.stringify(s)} + ' ' + process.argv.slice(2).join(' ') + '\\n');\n${fail}`);
  }
  write('apps/a/project.json', { name: 'a', targets: { build: { command: `node -e "require('fs').appendFileSync(${log.replace(/"/g, '\\"')}, 'build a\\n')"` } } });
  write('apps/a/deploy.json', { containerPort: 3000 });
  write('apps/b/project.json', { name: 'b' });
  write('apps/b/deploy.json', {});
  write('apps/c/project.json', { name: 'c' });
});
test.after(() => rmSync(ws, { recursive: true, force: true }));
test.before.each(() => rmSync(join(ws, 'calls.log'), { force: true }));

test('Nx sees the inferred targets beside the project’s own, and none on a project without deploy.json', () => {
  const r = nx('graph', `--file=${join(ws, 'graph.json')}`);
  assert.is(r.code, 0, r.out);
  const { graph } = JSON.parse(readFileSync(join(ws, 'graph.json'), 'utf8'));
  const targets = (name: string) => Object.keys(graph.nodes[name].data.targets ?? {}).sort();
  assert.equal(targets('a'), ['build', 'build-image', 'deploy', 'deploy-app', 'diff', 'health-check', 'history', 'logs', 'promote', 'push', 'rollback', 'run', 'smoke-test', 'verify']);
  assert.equal(targets('c'), []);
});

test('deploy runs the whole chain in order and forwards --env and flags to every step', () => {
  const r = nx('run', 'a:deploy', '--env', 'local', '--dry-run');
  assert.is(r.code, 0, r.out);
  // No `build a`: the app's build is run by the build-image script itself (app-builds.ts), not by
  // an Nx dependency, and these stub scripts do not run it.
  assert.equal(calls(), [
    'build-image --project=a --env=local --dry-run',
    'push --project=a --env=local --dry-run',
    'deploy-app --project=a --env=local --dry-run',
    'health-check --project=a --env=local --dry-run',
    'smoke-test --project=a --env=local --dry-run',
    'deploy --project=a --env=local --dry-run',
  ]);
});

test('with --batch=false (a process per task) the single-task executor runs the same chain', () => {
  const r = nx('run', 'a:deploy', '--env', 'local', '--batch=false');
  assert.is(r.code, 0, r.out);
  assert.not.match(r.out, /Running \d+ tasks with/, 'no batch');
  assert.equal(calls(), [...['build-image', 'push', 'deploy-app', 'health-check', 'smoke-test', 'deploy'].map((s) => `${s} --project=a --env=local`)]);
});

test('a failing step fails the run and stops the chain', () => {
  // The smoke-test stub exits 3 for prod.
  const r = nx('run', 'b:deploy:prod');
  // Non-zero, not necessarily 1: Nx 23.3 exits 130 when the steps after a failed one never ran
  // (it does not count the steps the batch reports as skipped as completed).
  assert.is.not(r.code, 0, `a failing smoke-test fails deploy:\n${r.out}`);
  assert.equal(calls().at(-1), 'smoke-test --project=b --env=prod', 'deploy itself never ran');
});

test('a configuration passes --env; a project without a build target still runs', () => {
  const r = nx('run', 'b:push:local', '--json');
  assert.is(r.code, 0, r.out);
  assert.equal(calls(), ['build-image --project=b --env=local --json', 'push --project=b --env=local --json']);
});

test('rollback runs alone (it builds nothing) with its flags', () => {
  assert.is(nx('run', 'a:rollback:prod', '--to', '7', '--no-rollback', '--timeout', '30').code, 0);
  assert.equal(calls(), ['rollback --project=a --env=prod --to=7 --no-rollback --timeout=30']);
});

test('a missing script fails the target with a message naming it', () => {
  rmSync(join(ws, 'scripts/diff.ts'));
  const r = nx('run', 'a:diff');
  assert.is.not(r.code, 0);
  assert.match(r.out, /scripts\/diff\.ts does not exist/);
});

test.run();
