// Integration: the sandbox CLI (up/status/down) as a user runs it, with a temporary data directory
// and free ports so a developer's own sandbox is never touched.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateRepositoryCommand, DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { SANDBOX_CREDENTIALS } from '../tools/sandbox/src/index.ts';

const root = new URL('..', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'ferry-sandbox-cli-'));
let flags: string[] = [];
let endpoint = '';

function cli(command: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'tools/sandbox/src/cli.ts'), command, '--data-dir', dataDir, ...flags], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

const freePort = () =>
  new Promise<number>((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const runtime = () => JSON.parse(readFileSync(join(dataDir, 'sandbox.json'), 'utf8')) as { pid: number; endpoint: string };

test.before(async () => {
  const [port, registryPort] = [await freePort(), await freePort()];
  flags = ['--port', String(port), '--registry-port', String(registryPort)];
  endpoint = `http://127.0.0.1:${port}`;
});

test.after(async () => {
  if (existsSync(join(dataDir, 'sandbox.json'))) await cli('down');
  rmSync(dataDir, { recursive: true, force: true });
});

test('up starts a background server and prints endpoints and env; up again is a no-op', async () => {
  const first = await cli('up');
  assert.is(first.code, 0, first.out);
  assert.match(first.out, `export AWS_ENDPOINT_URL=${endpoint}`);
  assert.match(first.out, 'export AWS_REGION=us-east-1');
  assert.match(first.out, 'ferry-sandbox/node:20');
  const pid = runtime().pid;
  assert.ok(alive(pid));
  assert.is(((await (await fetch(`${endpoint}/_sandbox/health`)).json()) as any).ok, true);
  // The printed console URL answers with the page, and its state route with the (empty) state.
  assert.match(first.out, `console:          ${endpoint}/_sandbox/console`);
  const page = await fetch(`${endpoint}/_sandbox/console`);
  assert.is(page.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.match(await page.text(), '<title>ferry sandbox console</title>');
  assert.equal(((await (await fetch(`${endpoint}/_sandbox/console/state`)).json()) as any).services, []);
  const again = await cli('up');
  assert.is(again.code, 0, again.out);
  assert.is(runtime().pid, pid, 'the running server was reused');
  const status = await cli('status');
  assert.is(status.code, 0);
  assert.match(status.out, endpoint);
});

test('down stops the server and the registry; up again keeps the repositories', async () => {
  const ecr = new ECRClient({ endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'cli/kept', imageTagMutability: 'IMMUTABLE' }));
  const pid = runtime().pid;
  const registryPid = Number(readFileSync(join(dataDir, 'registry/registry.pid'), 'utf8'));
  const down = await cli('down');
  assert.is(down.code, 0, down.out);
  assert.not.ok(alive(pid), 'server stopped');
  assert.not.ok(alive(registryPid), 'registry stopped');
  assert.is((await cli('status')).code, 3);

  const up = await cli('up');
  assert.is(up.code, 0, up.out);
  const repos = (await ecr.send(new DescribeRepositoriesCommand({}))).repositories!;
  assert.equal(repos.map((r) => [r.repositoryName, r.imageTagMutability]), [['cli/kept', 'IMMUTABLE']]);
  assert.is((await cli('down')).code, 0);
});

test('bad arguments are reported without a stack', async () => {
  const r = await cli('sideways');
  assert.is(r.code, 1);
  assert.match(r.out, /unknown command 'sideways'/);
  assert.not.match(r.out, /at .*\.ts:\d+/);
});

test.run();
