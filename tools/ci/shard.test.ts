// tools/ci/shard.ts: the split is a pure function of (name, K), so it is tested with tables and
// properties; one test runs the real CLI against this workspace's Nx.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FerryError } from '@ferry/core';
import { main, nxShowArgs, parseCli, parseShard, projectsOfShard, shardOf, splitIntoShards } from './shard.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const names = (n: number, prefix = 'app') => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);

test('parseShard: i/K with 1 <= i <= K', () => {
  for (const [text, want] of [
    ['1/1', { index: 1, total: 1 }],
    ['2/4', { index: 2, total: 4 }],
    ['4/4', { index: 4, total: 4 }],
    [' 3 / 7 ', { index: 3, total: 7 }],
  ] as const) {
    assert.equal(parseShard(text), want, text);
  }
});

test('parseShard: bad input is a USAGE error (exit 2) that says what to pass', () => {
  for (const [text, says] of [
    ['5/4', /i counts from 1 to K, so use 1\/4 … 4\/4 \(got 5\)/],
    ['0/4', /got 0/],
    ['x', /must look like <i>\/<K>, e.g. --shard 2\/4 \(got 'x'\)/],
    ['2', /must look like/],
    ['-1/4', /must look like/],
    ['1/0', /K must be between 1 and 256 \(got 0\)/],
    ['1/999', /K must be between 1 and 256/],
    ['', /--shard is required/],
    [undefined, /--shard is required/],
  ] as const) {
    try {
      parseShard(text);
      assert.unreachable(`accepted ${text}`);
    } catch (e) {
      assert.instance(e, FerryError, String(text));
      assert.is((e as FerryError).code, 'USAGE');
      assert.is((e as FerryError).exitCode, 2);
      assert.match((e as FerryError).message, says, String(text));
      assert.match((e as FerryError).message, /Usage: npm run -s shard -- --shard <i>\/<K>/);
    }
  }
});

test('shardOf: pinned assignments (the hash must not change between versions: jobs would swap apps)', () => {
  // Recorded once; a change here means every CI run after the upgrade reshuffles its shards.
  const projects = ['api', 'web', 'worker', 'billing', 'search'];
  for (const [k, want] of [
    [2, [1, 2, 2, 1, 2]],
    [3, [3, 3, 2, 3, 2]],
    [4, [4, 3, 4, 3, 2]],
  ] as const) {
    assert.equal(projects.map((p) => shardOf(p, k)), want, `k=${k}`);
  }
  for (const p of names(50)) assert.is(shardOf(p, 1), 1);
});

test('splitIntoShards: every project exactly once, each shard sorted, duplicates dropped', () => {
  const projects = [...names(97), 'app-000', 'zeta', 'alpha'];
  for (const k of [1, 2, 3, 4, 7, 16]) {
    const shards = splitIntoShards(projects, k);
    assert.is(shards.length, k);
    const all = shards.flat();
    assert.is(all.length, new Set(projects).size, `k=${k}`);
    assert.equal([...all].sort(), [...new Set(projects)].sort());
    for (const s of shards) assert.equal(s, [...s].sort());
  }
});

test('stable: adding or removing other projects never moves a project', () => {
  const before = names(200);
  const after = [...before.filter((_, i) => i % 7 !== 0), ...names(60, 'new')];
  for (const k of [2, 4, 5]) {
    const at = (list: string[]) => new Map(splitIntoShards(list, k).flatMap((s, i) => s.map((p) => [p, i] as const)));
    const a = at(before);
    const b = at(after);
    for (const [p, i] of b) if (a.has(p)) assert.is(i, a.get(p), `${p} moved with k=${k}`);
  }
});

test('rendezvous: going from K to K+1 shards moves projects only onto the new shard, about 1/(K+1) of them', () => {
  const projects = names(400);
  for (const k of [2, 4, 8]) {
    let moved = 0;
    for (const p of projects) {
      const from = shardOf(p, k);
      const to = shardOf(p, k + 1);
      if (from !== to) {
        moved++;
        assert.is(to, k + 1, `${p} moved between old shards`);
      }
    }
    const expected = projects.length / (k + 1);
    assert.ok(Math.abs(moved - expected) < 4 * Math.sqrt(expected), `k=${k}: ${moved} moved, expected about ${expected.toFixed(0)}`);
  }
});

test('balance: shard sizes stay within a few standard deviations of N/K', () => {
  for (const [n, k] of [
    [400, 4],
    [300, 3],
    [1000, 10],
  ] as const) {
    const sizes = splitIntoShards(names(n), k).map((s) => s.length);
    const mean = n / k;
    const sd = Math.sqrt(n * (1 / k) * (1 - 1 / k));
    for (const size of sizes) assert.ok(Math.abs(size - mean) < 4 * sd, `n=${n} k=${k}: sizes ${sizes.join(',')}`);
  }
});

test('projectsOfShard: the i-th of splitIntoShards', () => {
  const projects = names(30);
  const shards = splitIntoShards(projects, 3);
  for (let i = 1; i <= 3; i++) assert.equal(projectsOfShard(projects, { index: i, total: 3 }), shards[i - 1]);
  assert.equal(projectsOfShard([], { index: 1, total: 4 }), []);
});

test('parseCli and nxShowArgs: flags become the nx show projects arguments', () => {
  for (const [argv, want] of [
    [['--shard', '2/4'], ['show', 'projects', '--with-target', 'deploy', '--json', '--affected']],
    [['--shard=1/2', '--base', 'origin/main', '--head', 'HEAD'], ['show', 'projects', '--with-target', 'deploy', '--json', '--affected', '--base=origin/main', '--head=HEAD']],
    [['--shard', '1/3', '-t', 'deploy-app', '--all'], ['show', 'projects', '--with-target', 'deploy-app', '--json']],
  ] as const) {
    assert.equal(nxShowArgs(parseCli(argv)), want, argv.join(' '));
  }
  assert.is(parseCli(['--shard', '1/2', '--json']).json, true);
});

test('parseCli: unknown flags, bad targets and contradictions are USAGE errors', () => {
  for (const [argv, says] of [
    [['--shard', '1/2', '--shards', '3'], /Unknown option '--shards'/],
    [['--shard', '1/2', 'api'], /positional/i],
    [['--shard', '1/2', '--target', 'deploy;rm'], /--target must be an Nx target name/],
    [['--shard', '1/2', '--all', '--base', 'main'], /--all lists every project/],
    [[], /--shard is required/],
  ] as const) {
    try {
      parseCli(argv);
      assert.unreachable(argv.join(' '));
    } catch (e) {
      assert.instance(e, FerryError);
      assert.is((e as FerryError).exitCode, 2);
      assert.match((e as FerryError).message, says);
    }
  }
});

test('main: prints the shard as a comma list or JSON; errors go to stderr with their exit code', async () => {
  const list = async () => ['web', 'api', 'worker'];
  let out = '';
  let err = '';
  const io = { out: (s: string) => (out += s), err: (s: string) => (err += s), list };
  assert.is(await main(['--shard', '2/2'], io), 0);
  assert.is(out, `${projectsOfShard(['web', 'api', 'worker'], { index: 2, total: 2 }).join(',')}\n`);
  out = '';
  assert.is(await main(['--shard', '1/2', '--json'], io), 0);
  assert.equal(JSON.parse(out), projectsOfShard(['api', 'web', 'worker'], { index: 1, total: 2 }));
  out = '';
  assert.is(await main(['--shard', '5/4'], io), 2);
  assert.is(out, '');
  assert.match(err, /^shard: --shard 5\/4: i counts from 1 to K/);
  err = '';
  const failing = { ...io, list: async () => Promise.reject(new FerryError('GRAPH_FAILED', 'nx failed', { details: ['fatal: bad revision'] })) };
  assert.is(await main(['--shard', '1/2'], failing), 1);
  assert.match(err, /shard: nx failed\n {2}fatal: bad revision\n/);
});

function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tools/ci/shard.ts', ...args], { cwd: repo, env: { ...process.env, NX_DAEMON: 'false' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => done({ code, out, err }));
  });
}

test('CLI on this workspace (real Nx): the two shards of --all are disjoint and together are every deployable app', async () => {
  const [one, two, bad] = await Promise.all([cli(['--shard', '1/2', '--all', '--json']), cli(['--shard', '2/2', '--all', '--json']), cli(['--shard', '1/2', '--base', 'no-such-ref-ferry'])]);
  assert.is(one.code, 0, one.err);
  assert.is(two.code, 0, two.err);
  const a: string[] = JSON.parse(one.out);
  const b: string[] = JSON.parse(two.out);
  assert.equal(a.filter((p) => b.includes(p)), []);
  const union = [...a, ...b].sort();
  for (const app of ['api', 'web', 'worker']) assert.ok(union.includes(app), `${app} is in no shard: ${union.join(',')}`);
  assert.equal(a, projectsOfShard(union, { index: 1, total: 2 }));
  // An unknown --base: Nx's git error, passed on with what to do.
  assert.is(bad.code, 1);
  assert.match(bad.err, /failed \(exit 1\)\. Run `npx nx show projects .*--base=no-such-ref-ferry` .*fetch-depth 0/);
  assert.match(bad.err, /no-such-ref-ferry/);
});

test.run();
