#!/usr/bin/env node
// The test command: type check, unit tests, then the integration suites (real Docker, registry,
// sandbox, git, Nx). uvu prints its own totals per run; this sums them into the closing line
// `tests: N passed, N failed` that CI reads.
//   npm test                 everything
//   npm test -- --unit       type check + unit tests only
//   npm test -- --filter X   only test files whose path matches the regular expression X
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filterIdx = args.indexOf('--filter');
const filter = filterIdx >= 0 ? new RegExp(args[filterIdx + 1]) : null;

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

function run(cmd, argv, env = {}) {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(cmd, argv, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { out += d; process.stderr.write(d); });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), out }));
  });
}

let passed = 0;
let failed = 0;

console.log('# type check');
const tsc = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit']);
if (tsc.code === 0) passed++;
else { failed++; console.log('type check failed'); }

// Each test file runs in its own uvu process: one file's leftovers (servers, timers) never leak into another.
const suites = [
  { name: 'unit', files: findTests(root).filter((f) => !f.startsWith('test/')) },
  ...(unitOnly ? [] : [{ name: 'integration', files: findTests(join(root, 'test')) }]),
];
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');
for (const suite of suites) {
  const files = suite.files.filter((f) => !filter || filter.test(f)).sort();
  console.log(`\n# ${suite.name}: ${files.length} file(s)`);
  for (const file of files) {
    console.log(`\n## ${file}`);
    const r = await run(process.execPath, ['--import', 'tsx', join(root, 'node_modules/uvu/bin.js'), '.', `^${file.replace(/[.]/g, '\\.')}$`], { NO_COLOR: '1' });
    const text = strip(r.out);
    const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? NaN);
    const ok = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? NaN);
    const skipped = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0);
    if (Number.isNaN(total) || Number.isNaN(ok)) {
      // The file crashed before uvu could report (import error, unhandled rejection): one failure.
      failed++;
      console.log(`!! ${file} exited ${r.code} without a uvu summary`);
      continue;
    }
    passed += ok;
    failed += total - ok - skipped;
    if (r.code !== 0 && total - ok - skipped === 0) {
      failed++;
      console.log(`!! ${file} exited ${r.code} after its tests passed`);
    }
  }
}

console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
