import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWebServer } from './server.ts';

const publicDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'public');
let server: Server;
let url = '';

test.before(async () => {
  server = createWebServer({ staticDir: publicDir, apiUrl: 'http://127.0.0.1:4999', version: 'beef0001' });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.after(() => new Promise<void>((r) => server.close(() => r())));

test('/ serves the page', async () => {
  const res = await fetch(`${url}/`);
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/html/);
  assert.match(await res.text(), /<title>Ferry fares<\/title>/);
});

test('/config.js carries the api URL from the environment, not from the build', async () => {
  const res = await fetch(`${url}/config.js`);
  assert.is(await res.text(), 'window.FERRY_CONFIG = {"apiUrl":"http://127.0.0.1:4999","version":"beef0001"};\n');
});

test('/app.js is served as JavaScript', async () => {
  const res = await fetch(`${url}/app.js`);
  assert.match(res.headers.get('content-type') ?? '', /javascript/);
  assert.is(await res.text(), readFileSync(join(publicDir, 'app.js'), 'utf8'));
});

test('/health', async () => {
  const res = await fetch(`${url}/health`);
  assert.is(res.status, 200);
  assert.equal(await res.json(), { status: 'ok', version: 'beef0001' });
});

test('nothing outside the public folder, no unknown types, no writes', async () => {
  for (const path of ['/../src/server.ts', '/%2e%2e/package.json', '/missing.html', '/index.ts']) {
    assert.is((await fetch(`${url}${path}`)).status, 404, path);
  }
  assert.is((await fetch(`${url}/`, { method: 'POST' })).status, 405);
});

test('the web app does not import the api or the shared lib (it talks HTTP only)', () => {
  const dir = dirname(fileURLToPath(import.meta.url));
  for (const f of ['main.ts', 'server.ts']) {
    assert.not.match(readFileSync(join(dir, f), 'utf8'), /@sample\/|apps\/api/);
  }
});

test.run();
