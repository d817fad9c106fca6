// tools/build-app.mjs, the sample apps' bundler, on a throw-away project: workspace libraries are
// inlined through the tsconfig path aliases, the output runs on plain node, and it is byte-for-byte
// reproducible (no timestamps), so an unchanged app gives an unchanged bundle.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
let app = '';

const build = (...args: string[]) =>
  spawnSync(process.execPath, [join(repo, 'tools/build-app.mjs'), app, ...args], { cwd: repo, encoding: 'utf8' });

test.before.each(() => {
  app = mkdtempSync(join(tmpdir(), 'ferry-build-app-'));
  mkdirSync(join(app, 'src'));
  mkdirSync(join(app, 'public'));
  writeFileSync(join(app, 'src/main.ts'), "import { findRoute } from '@sample/shared';\nconsole.log(findRoute('dover-calais')?.to);\n");
  writeFileSync(join(app, 'src/check.ts'), "console.log('check');\n");
  writeFileSync(join(app, 'public/index.html'), '<title>t</title>');
});
test.after.each(() => rmSync(app, { recursive: true, force: true }));

test('bundles each entry with @sample/shared inlined, marks dist as ESM, copies static files', () => {
  const r = build('--entry', 'src/main.ts', '--entry', 'src/check.ts', '--static', 'public');
  assert.is(r.status, 0, r.stderr);
  assert.equal(readdirSync(join(app, 'dist')).sort(), ['check.js', 'main.js', 'package.json', 'public']);
  assert.equal(JSON.parse(readFileSync(join(app, 'dist/package.json'), 'utf8')), { type: 'module' });
  assert.is(readFileSync(join(app, 'dist/public/index.html'), 'utf8'), '<title>t</title>');
  const bundle = readFileSync(join(app, 'dist/main.js'), 'utf8');
  assert.not.match(bundle, /@sample\/shared/, 'no import left to resolve at run time');
  // Run it from a folder with no node_modules and no package.json above it but dist's own.
  const run = spawnSync(process.execPath, [join(app, 'dist/main.js')], { cwd: tmpdir(), encoding: 'utf8' });
  assert.is(run.stdout.trim(), 'Calais', run.stderr);
});

test('the same sources give the same bytes; a stale dist is replaced', () => {
  assert.is(build('--entry', 'src/main.ts').status, 0);
  const first = readFileSync(join(app, 'dist/main.js'));
  writeFileSync(join(app, 'dist/stale.js'), 'old');
  assert.is(build('--entry', 'src/main.ts').status, 0);
  assert.ok(first.equals(readFileSync(join(app, 'dist/main.js'))));
  assert.equal(readdirSync(join(app, 'dist')).sort(), ['main.js', 'package.json']);
});

test('usage and missing entries are clear errors', () => {
  let r = build();
  assert.is(r.status, 2);
  assert.match(r.stderr, /usage: node tools\/build-app\.mjs/);
  r = build('--entry', 'src/nope.ts');
  assert.is(r.status, 1);
  assert.match(r.stderr, /entry src\/nope\.ts not found/);
});

test.run();
