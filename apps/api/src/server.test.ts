import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiServer } from './server.ts';

const json = (res: Response): Promise<any> => res.json();

let server: Server;
let url = '';

test.before(async () => {
  server = createApiServer({ build: { contentTag: 'c0ffee12', gitSha: 'abc1234', version: 'c0ffee12' } });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.after(() => new Promise<void>((r) => server.close(() => r())));

test('GET /health reports ok and the version', async () => {
  const res = await fetch(`${url}/health`);
  assert.is(res.status, 200);
  assert.equal(await json(res), { status: 'ok', version: 'c0ffee12' });
});

test('GET /version names the build', async () => {
  assert.equal(await json(await fetch(`${url}/version`)), { service: 'api', contentTag: 'c0ffee12', gitSha: 'abc1234' });
});

test('POST /quote prices a crossing', async () => {
  const res = await fetch(`${url}/quote`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ route: 'dover-calais', date: '2026-03-10', adults: 2, children: 1, vehicle: 'car' }),
  });
  assert.is(res.status, 200);
  const quote = await json(res);
  assert.is(quote.totalCents, 18650);
  assert.is(quote.currency, 'GBP');
});

test('GET /quote takes query parameters', async () => {
  const res = await fetch(`${url}/quote?route=helsinki-tallinn&date=2026-07-04&adults=1&returnTrip=true`);
  assert.is(res.status, 200);
  assert.is((await json(res)).totalCents, 6975);
});

test('an invalid quote is a 400 listing every problem', async () => {
  const res = await fetch(`${url}/quote?route=nowhere&date=tomorrow`);
  assert.is(res.status, 400);
  const body = await json(res);
  assert.is(body.error, 'invalid quote request');
  assert.is(body.details.length, 2);
});

test('a body that is not JSON is a 400; an oversized one a 413', async () => {
  const bad = await fetch(`${url}/quote`, { method: 'POST', body: '{nope' });
  assert.is(bad.status, 400);
  assert.equal(await json(bad), { error: 'body must be JSON' });
  // Raw socket: a client library may give up on its upload once the early answer arrives.
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  socket.on('error', () => {}); // the server may close while we still write; the answer is what counts
  let answer = '';
  socket.on('data', (d) => (answer += d));
  const size = 70 * 1024;
  socket.write(`POST /quote HTTP/1.1\r\nhost: x\r\ncontent-length: ${size}\r\nconnection: close\r\n\r\n${'x'.repeat(size)}`);
  await new Promise((r) => socket.once('close', r));
  assert.match(answer, /^HTTP\/1\.1 413/);
  assert.match(answer, /body larger than 65536 bytes/);
});

test('unknown routes are a JSON 404; CORS lets the web page call us', async () => {
  const res = await fetch(`${url}/nope`);
  assert.is(res.status, 404);
  assert.is(res.headers.get('access-control-allow-origin'), '*');
  const pre = await fetch(`${url}/quote`, { method: 'OPTIONS' });
  assert.is(pre.status, 204);
  assert.match(pre.headers.get('access-control-allow-methods') ?? '', /POST/);
});

test('GET /routes lists what can be quoted', async () => {
  const { routes } = await json(await fetch(`${url}/routes`));
  assert.ok(routes.some((r: { id: string }) => r.id === 'dover-calais'));
});

test('SIGTERM lets an in-flight request finish, then the process exits 0', async () => {
  const main = join(dirname(fileURLToPath(import.meta.url)), 'main.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', main], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout.on('data', (d) => (logs += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    for (let i = 0; !logs.includes('"listening"'); i++) {
      if (i > 200) throw new Error(`api did not start: ${logs}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const port = Number(/"port":(\d+)/.exec(logs)?.[1]);
    // Start a request and hold back half its body, so it is in flight when SIGTERM arrives.
    const body = JSON.stringify({ route: 'dover-calais', date: '2026-03-10' });
    const socket = connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    let answer = '';
    socket.on('data', (d) => (answer += d));
    const closed = new Promise((r) => socket.once('close', r));
    socket.write(`POST /quote HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body.slice(0, 10)}`);
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    for (let i = 0; !logs.includes('"stopping"'); i++) {
      if (i > 100) throw new Error(`no stopping log: ${logs}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    socket.write(body.slice(10));
    await closed;
    assert.match(answer, /^HTTP\/1\.1 200/);
    assert.match(answer, /"totalCents":3900/);
    assert.is(await exited, 0);
    assert.match(logs, /"stopped"/);
  } finally {
    child.kill('SIGKILL');
  }
});

test.run();
