import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { heartbeatAge, tick, workerSettings, type WorkerPaths } from './worker.ts';

let dir = '';
let paths: WorkerPaths;

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'ferry-worker-'));
  paths = { inbox: join(dir, 'in'), outbox: join(dir, 'out'), heartbeatFile: join(dir, 'heartbeat') };
  mkdirSync(paths.inbox);
});
test.after.each(() => rmSync(dir, { recursive: true, force: true }));

const read = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

test('tick prices valid requests, rejects invalid ones, empties the inbox', async () => {
  writeFileSync(join(paths.inbox, 'a.json'), JSON.stringify({ route: 'dover-calais', date: '2026-03-10', adults: 2 }));
  writeFileSync(join(paths.inbox, 'b.json'), JSON.stringify({ route: 'nowhere', date: '2026-03-10' }));
  writeFileSync(join(paths.inbox, 'c.json'), '{broken');
  writeFileSync(join(paths.inbox, 'notes.txt'), 'ignored');
  const result = await tick(paths, () => new Date('2026-01-01T00:00:00Z'));
  assert.equal(result, { priced: 1, rejected: 2 });
  assert.is(read(join(paths.outbox, 'a.json')).totalCents, 7800);
  assert.match(read(join(paths.outbox, 'b.error.json')).errors[0], /route must be one of/);
  assert.equal(read(join(paths.outbox, 'c.error.json')), { errors: ['file is not valid JSON'] });
  assert.equal(readdirSync(paths.inbox), ['notes.txt']);
  assert.equal(readdirSync(paths.outbox).sort(), ['a.json', 'b.error.json', 'c.error.json']);
});

test('tick writes the heartbeat even with nothing to do; its age is measured from it', async () => {
  await tick(paths, () => new Date('2026-01-01T00:00:00Z'));
  const beat = read(paths.heartbeatFile);
  assert.is(beat.at, '2026-01-01T00:00:00.000Z');
  assert.equal(beat.last, { priced: 0, rejected: 0 });
  assert.is(await heartbeatAge(paths.heartbeatFile, new Date('2026-01-01T00:00:42Z')), 42);
  assert.is(await heartbeatAge(join(dir, 'missing')), undefined);
  writeFileSync(paths.heartbeatFile, 'garbage');
  assert.is(await heartbeatAge(paths.heartbeatFile), undefined);
});

test('settings come from the environment with the image defaults', () => {
  assert.equal(workerSettings({}), {
    paths: { inbox: '/tmp/ferry-worker/inbox', outbox: '/tmp/ferry-worker/outbox', heartbeatFile: '/tmp/worker-heartbeat' },
    intervalMs: 5000,
    maxHeartbeatAgeSeconds: 30,
  });
  assert.is(workerSettings({ WORKER_MAX_HEARTBEAT_AGE: '5' }).maxHeartbeatAgeSeconds, 5);
});

test('the container health check passes on a fresh heartbeat and fails on a stale or missing one', async () => {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'healthcheck.ts');
  const check = () =>
    spawnSync(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, WORKER_HEARTBEAT_FILE: paths.heartbeatFile, WORKER_MAX_HEARTBEAT_AGE: '30' },
      encoding: 'utf8',
    });
  let r = check();
  assert.is(r.status, 1);
  assert.match(r.stderr, /no heartbeat/);
  await tick(paths);
  r = check();
  assert.is(r.status, 0, r.stderr);
  await tick(paths, () => new Date(Date.now() - 120_000));
  r = check();
  assert.is(r.status, 1);
  assert.match(r.stderr, /heartbeat is 1[12]\ds old \(limit 30s\)/);
  assert.ok(existsSync(paths.heartbeatFile));
});

test('the worker runs ticks on its own and stops cleanly on SIGTERM', async () => {
  const main = join(dirname(fileURLToPath(import.meta.url)), 'main.ts');
  writeFileSync(join(paths.inbox, 'q.json'), JSON.stringify({ route: 'holyhead-dublin', date: '2026-03-10' }));
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: { ...process.env, WORKER_INBOX: paths.inbox, WORKER_OUTBOX: paths.outbox, WORKER_HEARTBEAT_FILE: paths.heartbeatFile, WORKER_INTERVAL_MS: '100' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout.on('data', (d) => (logs += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    // The tick writes the priced request, then its heartbeat: wait for both (a loaded machine can
    // stop between the two writes).
    for (let i = 0; !existsSync(join(paths.outbox, 'q.json')) || !existsSync(paths.heartbeatFile); i++) {
      if (i > 300) throw new Error(`worker did not price the request and beat: ${logs}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.is(read(join(paths.outbox, 'q.json')).totalCents, 4600);
    child.kill('SIGTERM');
    assert.is(await exited, 0);
    assert.match(logs, /"stopped"/);
  } finally {
    child.kill('SIGKILL');
  }
});

test.run();
