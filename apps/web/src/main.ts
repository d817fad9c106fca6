import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWebServer } from './server.ts';

const here = dirname(fileURLToPath(import.meta.url));
// Bundled: dist/main.js beside dist/public; from source: src/main.ts beside ../public.
const staticDir = [join(here, 'public'), join(here, '..', 'public')].find((d) => existsSync(join(d, 'index.html')));
if (!staticDir) {
  console.error(JSON.stringify({ level: 'error', service: 'web', msg: `no public/index.html next to ${here}` }));
  process.exit(1);
}

const port = Number(process.env.PORT ?? 3000);
const apiUrl = process.env.API_URL ?? 'http://127.0.0.1:3000';
const version = process.env.FERRY_CONTENT_TAG || 'dev';
const server = createWebServer({ staticDir, apiUrl, version });

server.listen(port, () => log('listening', { port: (server.address() as AddressInfo).port, apiUrl, version }));

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log('stopping', { signal });
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 20_000).unref();
  });
}

function log(msg: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ level: 'info', service: 'web', msg, ...fields }));
}
