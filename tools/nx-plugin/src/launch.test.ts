import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canRunInProcess, launchArgs } from './launch.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const root = mkdtempSync(join(tmpdir(), 'ferry-launch-'));

function write(path: string, text: string) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

// A library that finds a file beside itself (as core/config.ts finds its schemas), an npm package,
// and a path alias: what the bundle must keep working.
write('package.json', '{"type":"module"}');
write('tsconfig.base.json', JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', baseUrl: '.', paths: { '@x/lib': ['libs/x/src/index.ts'] } } }));
write('libs/x/src/index.ts', "import { readFileSync } from 'node:fs';\nimport { fileURLToPath } from 'node:url';\nexport const note = (): string => readFileSync(fileURLToPath(new URL('../note.txt', import.meta.url)), 'utf8').trim();\n");
write('libs/x/note.txt', 'v1\n');
write('scripts/hello.ts', "import chalk from 'chalk';\nimport { note } from '@x/lib';\nconst v: number = 1;\nconsole.log(`hello ${note()} ${v} ${typeof chalk.red} ${process.argv.slice(2).join(' ')}`);\n");
write('scripts/other.ts', "console.log('other');\n");
symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'), 'dir');

const tsxArgs = (script: string, ...rest: string[]) => ['--import', 'tsx', join(root, 'scripts', `${script}.ts`), ...rest];
const runNode = (args: string[]) => spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });

test.after(() => rmSync(root, { recursive: true, force: true }));

test('a tsx launch runs from a bundle that behaves like the source (aliases, packages, files beside a module)', async () => {
  const l = await launchArgs(root, tsxArgs('hello', '--project=api'));
  assert.is(l.mode, 'bundle', l.reason);
  assert.ok(l.args[0].includes('.ferry/cache/scripts/'), l.args[0]);
  assert.equal(l.args.slice(1), ['--project=api']);
  const r = runNode(l.args);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.trim(), 'hello v1 1 function --project=api');
});

test('every script is in the one bundle; a second launch reuses it', async () => {
  const a = await launchArgs(root, tsxArgs('other'));
  const b = await launchArgs(root, tsxArgs('hello'));
  assert.is(a.mode, 'bundle');
  assert.is(dirname(a.args[0]), dirname(b.args[0]));
  assert.is(runNode(a.args).stdout.trim(), 'other');
});

test('a changed source rebuilds the bundle before it runs (never stale code)', async () => {
  const before = (await launchArgs(root, tsxArgs('hello'))).args[0];
  write('libs/x/src/index.ts', "export const note = (): string => 'v2';\n");
  // Same size and an older mtime must still count as a change when the size differs; here both differ.
  const after = await launchArgs(root, tsxArgs('hello'));
  assert.is(after.mode, 'bundle');
  assert.is.not(after.args[0], before);
  assert.is(runNode(after.args).stdout.trim().split(' ')[1], 'v2');
});

test('an mtime change alone (git checkout, touch) also rebuilds', async () => {
  const before = (await launchArgs(root, tsxArgs('hello'))).args[0];
  const t = new Date(Date.now() + 5000);
  utimesSync(join(root, 'scripts/hello.ts'), t, t);
  const after = await launchArgs(root, tsxArgs('hello'));
  assert.is.not(after.args[0], before);
});

test('a new script beside the bundled ones is bundled on its first launch', async () => {
  write('scripts/new-one.ts', "console.log('new');\n");
  const l = await launchArgs(root, tsxArgs('new-one'));
  assert.is(l.mode, 'bundle', l.reason);
  assert.is(runNode(l.args).stdout.trim(), 'new');
});

test('a script that does not compile falls back to tsx, which reports the error', async () => {
  write('scripts/broken.ts', 'const = ;\n');
  const l = await launchArgs(root, tsxArgs('broken'));
  assert.is(l.mode, 'tsx');
  assert.match(l.reason ?? '', /bundling failed/);
  assert.equal(l.args, tsxArgs('broken'));
  rmSync(join(root, 'scripts/broken.ts'));
});

test('non-tsx argv (the npm package) is left alone', async () => {
  const pkg = ['/ws/node_modules/@ferry/nx/dist/deploy.mjs', '--project=api'];
  assert.equal((await launchArgs(root, pkg)).args, pkg);
});

test('in-process only for a bundle inside the process Nx forked for this task', () => {
  const bundle = { args: ['/x.mjs'], mode: 'bundle' as const };
  assert.ok(canRunInProcess(bundle, { NX_FORKED_TASK_EXECUTOR: 'true' }));
  assert.not.ok(canRunInProcess(bundle, {}), 'nx itself or a direct call');
  assert.not.ok(canRunInProcess({ args: ['--import', 'tsx', '/x.ts'], mode: 'tsx' }, { NX_FORKED_TASK_EXECUTOR: 'true' }));
});

test.run();
