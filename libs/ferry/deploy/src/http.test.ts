import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { httpRequest, redirected } from './http.ts';

// Redirect rules of the Fetch standard, which the checks kept when they moved off fetch:
// https://fetch.spec.whatwg.org/#http-redirect-fetch (step 12: 301/302 + POST and 303 become GET
// without a body; step 13: a cross-origin redirect removes Authorization).
const a = new URL('http://127.0.0.1:1/a');
const b = new URL('http://127.0.0.1:1/b');
const other = new URL('http://127.0.0.1:2/b');
const json = { 'content-type': 'application/json', authorization: 'Bearer x', 'x-k': '1' };
const redirectCases: [string, Parameters<typeof redirected>[0], ReturnType<typeof redirected>][] = [
  ['302 after POST: GET without the body', { status: 302, method: 'POST', body: '{}', headers: json, from: a, to: b }, { method: 'GET', body: undefined, headers: { authorization: 'Bearer x', 'x-k': '1' } }],
  ['301 after GET: unchanged', { status: 301, method: 'GET', headers: { 'x-k': '1' }, from: a, to: b }, { method: 'GET', body: undefined, headers: { 'x-k': '1' } }],
  ['303 after PUT: GET', { status: 303, method: 'PUT', body: 'x', headers: {}, from: a, to: b }, { method: 'GET', body: undefined, headers: {} }],
  ['303 after HEAD: HEAD', { status: 303, method: 'HEAD', headers: {}, from: a, to: b }, { method: 'HEAD', body: undefined, headers: {} }],
  ['307 keeps POST and its body', { status: 307, method: 'POST', body: '{}', headers: json, from: a, to: b }, { method: 'POST', body: '{}', headers: json }],
  ['308 to another origin drops Authorization', { status: 308, method: 'POST', body: '{}', headers: json, from: a, to: other }, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', 'x-k': '1' } }],
];
for (const [label, input, want] of redirectCases) test(`redirected: ${label}`, () => assert.equal(redirected(input), want));

async function serve(handler: (req: IncomingMessage, body: string, res: import('node:http').ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

test('httpRequest follows redirects to the answer, with method and body as the standard says', async () => {
  const seen: string[] = [];
  const { url, server } = await serve((req, body, res) => {
    seen.push(`${req.method} ${req.url} ${body} ${req.headers.accept} ${req.headers['content-length'] ?? '-'}`);
    if (req.url === '/login') return res.writeHead(302, { location: '/home' }).end();
    if (req.url === '/keep') return res.writeHead(307, { location: `${url}/echo` }).end();
    if (req.url === '/loop') return res.writeHead(301, { location: '/loop' }).end();
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`${req.method} ${body} é`);
  });
  try {
    const r = await httpRequest(`${url}/login`, { method: 'POST', body: 'a=1' });
    assert.equal(r, { status: 200, body: 'GET  é', url: `${url}/home` });
    const k = await httpRequest(`${url}/keep`, { method: 'POST', body: '{"x":1}', headers: { 'content-type': 'application/json' } });
    assert.equal(k, { status: 200, body: 'POST {"x":1} é', url: `${url}/echo` });
    assert.equal(seen, ['POST /login a=1 */* 3', 'GET /home  */* -', 'POST /keep {"x":1} */* 7', 'POST /echo {"x":1} */* 7']);
    const loop = await httpRequest(`${url}/loop`).then(() => undefined, (e: Error) => e.message);
    assert.is(loop, `more than 20 redirects from ${url}/loop`);
  } finally {
    server.close();
  }
});

test('httpRequest: the status of a failing answer, a refused connection, and a timeout', async () => {
  const { url, server } = await serve((req, _body, res) => {
    if (req.url === '/slow') return setTimeout(() => res.end('late'), 2000);
    res.writeHead(503).end('down');
  });
  try {
    assert.equal(await httpRequest(`${url}/health`), { status: 503, body: 'down', url: `${url}/health` });
    const slow = await httpRequest(`${url}/slow`, { signal: AbortSignal.timeout(100) }).then(() => undefined, (e: Error) => e.name);
    assert.is(slow, 'TimeoutError');
  } finally {
    server.closeAllConnections();
    server.close();
  }
  const refused = await httpRequest(url).then(() => undefined, (e: NodeJS.ErrnoException) => e.code);
  assert.is(refused, 'ECONNREFUSED');
});

test.run();
