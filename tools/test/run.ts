// The test command: type check, unit tests, then the integration suites (real Docker, registry,
// sandbox, git, Nx). uvu prints its own totals per run; this sums them into the closing line
// `tests: N passed, N failed` that CI reads.
//   npm test                   everything
//   npm test -- --unit         type check + unit tests only
//   npm test -- --filter X     only test files whose path matches the regular expression X
//   npm test -- --jobs N       files run N at a time (default 2; 1 = one after the other)
//
// Each test file runs in its own uvu process: one file's leftovers (servers, timers) never leak into
// another. Files run `--jobs` at a time; each file's output is printed as one block when it ends,
// never interleaved. The integration files can share the machine: every one takes free ports
// (port 0), its own sandbox data directory and temp workspace, and its own image names. A file
// that cannot share the machine says so with a line `// test-runner: alone` (then it runs with
// nothing else). Files whose last run took longest start first (durations are kept in
// tmp/test-durations.json), so the last file to finish is a short one.
import { availableParallelism } from 'node:os';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { exec, type ExecResult } from '@ferry/core';

const root = new URL('../..', import.meta.url).pathname;
const { values } = parseArgs({
  options: { unit: { type: 'boolean' }, filter: { type: 'string' }, jobs: { type: 'string' } },
  allowPositionals: true,
});
const filter = values.filter ? new RegExp(values.filter) : null;
const jobs = values.jobs ? Number(values.jobs) : Math.max(1, Math.min(2, availableParallelism()));
if (!Number.isInteger(jobs) || jobs < 1) {
  console.error(`--jobs must be a whole number of at least 1 (got ${values.jobs})`);
  process.exit(2);
}

function findTests(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

const durationsFile = join(root, 'tmp', 'test-durations.json');
const lastDurations: Record<string, number> = (() => {
  try {
    return JSON.parse(readFileSync(durationsFile, 'utf8'));
  } catch {
    return {};
  }
})();
const durations: Record<string, number> = { ...lastDurations };

// Ctrl-C (or CI cancelling the job) stops every running file.
const stop = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());

interface Job {
  name: string;
  alone: boolean;
  run: () => Promise<ExecResult>;
  /** Counts the job's result into the totals; returns lines to print under its output. */
  count: (r: ExecResult) => string[];
}

let passed = 0;
let failed = 0;
const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

const typeCheck: Job = {
  name: 'type check',
  alone: false,
  run: () => exec(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit'], { cwd: root, nothrow: true, signal: stop.signal }),
  count: (r) => {
    if (r.exitCode === 0) {
      passed++;
      return [];
    }
    failed++;
    return ['type check failed'];
  },
};

function fileJob(file: string): Job {
  return {
    name: file,
    alone: /^\/\/ test-runner: alone\b/m.test(readFileSync(join(root, file), 'utf8')),
    run: () =>
      exec(process.execPath, ['--import', 'tsx', join(root, 'node_modules/uvu/bin.js'), '.', `^${file.replace(/[.]/g, '\\.')}$`], {
        cwd: root,
        env: { NO_COLOR: '1' },
        nothrow: true,
        signal: stop.signal,
      }),
    count: (r) => {
      const text = strip(r.output);
      const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      const ok = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0);
      if (Number.isNaN(total) || Number.isNaN(ok)) {
        // The file crashed before uvu could report (import error, unhandled rejection): one failure.
        failed++;
        return [`!! ${file} exited ${r.exitCode} without a uvu summary`];
      }
      passed += ok;
      failed += total - ok - skipped;
      if (r.exitCode !== 0 && total - ok - skipped === 0) {
        failed++;
        return [`!! ${file} exited ${r.exitCode} after its tests passed`];
      }
      return [];
    },
  };
}

/** Runs `list` at most `jobs` at a time (an `alone` job with nothing else), printing each job's block as it ends. */
async function runAll(list: Job[]): Promise<void> {
  // Longest first (by the last run), unknown ones before known short ones; then by name.
  const queue = [...list].sort((a, b) => (lastDurations[b.name] ?? Infinity) - (lastDurations[a.name] ?? Infinity) || a.name.localeCompare(b.name));
  const running = new Set<Promise<void>>();
  let aloneRunning = false;
  const start = (job: Job) => {
    const began = performance.now();
    const p = job.run().then((r) => {
      const seconds = (performance.now() - began) / 1000;
      durations[job.name] = Math.round(seconds * 10) / 10;
      const notes = job.count(r);
      const out = r.output.endsWith('\n') || !r.output ? r.output : `${r.output}\n`;
      process.stdout.write(`\n## ${job.name} (${seconds.toFixed(1)} s)\n${out}${notes.map((n) => `${n}\n`).join('')}`);
    });
    const tracked = p.finally(() => {
      running.delete(tracked);
      if (job.alone) aloneRunning = false;
    });
    running.add(tracked);
    if (job.alone) aloneRunning = true;
  };
  while (queue.length && !stop.signal.aborted) {
    const next = queue[0];
    const fits = next.alone ? running.size === 0 : !aloneRunning && running.size < jobs;
    if (fits) start(queue.shift()!);
    else await Promise.race(running);
  }
  await Promise.all(running);
}

const began = performance.now();
const unit = findTests(root).filter((f) => !f.startsWith('test/') && (!filter || filter.test(f))).sort();
console.log(`# type check and unit: ${unit.length} file(s), ${jobs} at a time`);
await runAll([typeCheck, ...unit.map(fileJob)]);
if (!values.unit) {
  const integration = findTests(join(root, 'test')).filter((f) => !filter || filter.test(f)).sort();
  console.log(`\n# integration: ${integration.length} file(s), ${jobs} at a time`);
  await runAll(integration.map(fileJob));
}

try {
  mkdirSync(join(root, 'tmp'), { recursive: true });
  writeFileSync(durationsFile, JSON.stringify(durations, null, 2) + '\n');
} catch {
  // A read-only checkout: the next run orders files by name.
}
if (stop.signal.aborted) failed++;
console.log(`\nwall time: ${((performance.now() - began) / 1000).toFixed(1)} s`);
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
