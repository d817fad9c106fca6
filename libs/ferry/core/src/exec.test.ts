import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExecError, exec, showCommand, startProcess } from './exec.ts';

const node = process.execPath;
/** A node one-liner that prints its arguments as JSON. */
const echoArgs = ['-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))'];

test('exec: every value reaches the process as one argument, unchanged (spaces, quotes, $, backticks, globs, newlines)', async () => {
  const values = ['a b', "it's", 'say "hi"', '$HOME', '${PATH}', '`id`', '$(id)', '*', 'a;b|c&d', 'line1\nline2', '\\back\\slash', '', '-n'];
  const r = await exec(node, [...echoArgs, ...values]);
  assert.equal(JSON.parse(r.stdout), values);
  assert.is(r.exitCode, 0);
  assert.is(r.stderr, '');
});

test('exec: a command path with a space is one word', async () => {
  const r = await exec('sh', ['-c', 'printf %s "$0"', 'a b']);
  assert.is(r.stdout, 'a b');
});

test('exec: a non-zero exit throws ExecError naming the command and the last stderr lines', async () => {
  const err = await exec(node, ['-e', 'console.error("one\\ntwo\\nthree"); process.exit(3)']).catch((e) => e);
  assert.instance(err, ExecError);
  assert.is(err.code, 'EXEC_FAILED');
  assert.is(err.result.exitCode, 3);
  assert.ok(err.message.includes(node), err.message);
  assert.ok(err.message.includes('exit 3'), err.message);
  assert.ok(err.message.includes('one | two | three'), err.message);
  assert.equal(err.details, ['one', 'two', 'three']);
});

test('exec: nothrow resolves with the exit code and both streams', async () => {
  const r = await exec(node, ['-e', 'process.stdout.write("out"); process.stderr.write("err"); process.exit(5)'], { nothrow: true });
  assert.is(r.exitCode, 5);
  assert.is(r.stdout, 'out');
  assert.is(r.stderr, 'err');
  assert.ok(r.output.includes('out') && r.output.includes('err'));
});

test('exec: a command that does not exist is exit 127 and an error that says so', async () => {
  const r = await exec('ferry-no-such-command-xyz', ['a'], { nothrow: true });
  assert.is(r.exitCode, 127);
  const err = await exec('ferry-no-such-command-xyz', []).catch((e) => e);
  assert.instance(err, ExecError);
  assert.match(err.message, /could not start .*not found/);
});

test('exec: input is written to stdin and stdin is closed; without input stdin is empty', async () => {
  const cat = ['-e', 'process.stdin.pipe(process.stdout)'];
  assert.is((await exec(node, cat, { input: 'hello\nworld' })).stdout, 'hello\nworld');
  assert.is((await exec(node, cat, { input: Buffer.from('bytes') })).stdout, 'bytes');
  assert.is((await exec(node, cat, { input: '' })).stdout, '');
  assert.is((await exec(node, cat)).stdout, '');
});

test('exec: cwd and env (additions over process.env, undefined removes, baseEnv replaces)', async () => {
  process.env.FERRY_EXEC_TEST_DROP = 'present';
  try {
    const show = ['-e', 'process.stdout.write(JSON.stringify([process.cwd(), process.env.FERRY_EXEC_A, process.env.FERRY_EXEC_TEST_DROP ?? null, process.env.PATH ? "path" : null]))'];
    const r = await exec(node, show, { cwd: '/tmp', env: { FERRY_EXEC_A: 'x y', FERRY_EXEC_TEST_DROP: undefined } });
    assert.equal(JSON.parse(r.stdout), ['/tmp', 'x y', null, 'path']);
    const r2 = await exec(node, show, { baseEnv: { PATH: process.env.PATH }, env: { FERRY_EXEC_A: '1' } });
    assert.equal(JSON.parse(r2.stdout).slice(1), ['1', null, 'path']);
  } finally {
    delete process.env.FERRY_EXEC_TEST_DROP;
  }
});

test('exec: timeout kills the process; the error says it timed out', async () => {
  const r = await exec(node, ['-e', 'setInterval(() => {}, 1000)'], { timeout: 200, nothrow: true });
  assert.ok(r.timedOut);
  assert.is(r.signal, 'SIGTERM');
  assert.is.not(r.exitCode, 0);
  const err = await exec(node, ['-e', 'setInterval(() => {}, 1000)'], { timeout: 200 }).catch((e) => e);
  assert.instance(err, ExecError);
  assert.match(err.message, /timed out/);
});

test('exec: aborting the signal kills the process: INTERRUPTED', async () => {
  const ac = new AbortController();
  const running = exec(node, ['-e', 'console.log("started"); setInterval(() => {}, 1000)'], {
    signal: ac.signal,
    onLine: (l) => l === 'started' && ac.abort(),
  });
  const err = await running.catch((e) => e);
  assert.instance(err, ExecError);
  assert.is(err.code, 'INTERRUPTED');
  assert.ok(err.result.aborted);
  const before = new AbortController();
  before.abort();
  const r = await exec(node, ['-e', '1'], { signal: before.signal, nothrow: true });
  assert.ok(r.aborted);
});

test('exec: onLine gets each stdout and stderr line as it arrives, and a last partial line', async () => {
  const lines: Array<[string, string]> = [];
  await exec(node, ['-e', 'console.log("a\\nb"); console.error("c"); process.stdout.write("d")'], {
    env: { NO_COLOR: undefined, FORCE_COLOR: undefined },
    onLine: (l, s) => lines.push([l, s]),
  });
  assert.equal(lines.filter(([, s]) => s === 'stdout').map(([l]) => l), ['a', 'b', 'd']);
  assert.equal(lines.filter(([, s]) => s === 'stderr').map(([l]) => l), ['c']);
});

test('exec: a line that arrives in pieces (multi-byte characters split) is one line', async () => {
  const lines: string[] = [];
  const script = 'const b = Buffer.from("héllo wörld\\n"); process.stdout.write(b.subarray(0, 2)); setTimeout(() => process.stdout.write(b.subarray(2)), 50)';
  await exec(node, ['-e', script], { onLine: (l) => lines.push(l) });
  assert.equal(lines, ['héllo wörld']);
});

test('startProcess: a long-running process can be killed; its result says by which signal', async () => {
  const p = startProcess(node, ['-e', 'setInterval(() => {}, 1000)'], { nothrow: true });
  assert.type(p.pid, 'number');
  assert.ok(p.kill('SIGTERM'));
  const r = await p.result;
  assert.is(r.signal, 'SIGTERM');
  assert.is(p.kill(), false);
});

test('showCommand quotes values as the shell receives them', () => {
  assert.is(showCommand('docker', ['build', '-t', 'api:1', 'a b']), "docker build -t api:1 $'a b'");
});

test.run();
