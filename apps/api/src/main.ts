import type { AddressInfo } from 'node:net';
import { buildInfo } from '@sample/shared';
import { createApiServer } from './server.ts';

const port = Number(process.env.PORT ?? 3000);
const build = buildInfo();
const server = createApiServer({ build, corsOrigin: process.env.CORS_ORIGIN });

server.listen(port, () => {
  log('listening', { port: (server.address() as AddressInfo).port, contentTag: build.contentTag, gitSha: build.gitSha });
});

// ECS sends SIGTERM and waits stopTimeout (30 s by default) before SIGKILL: stop accepting
// connections, let in-flight requests finish, then exit.
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log('stopping', { signal });
    server.close(() => {
      log('stopped', {});
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => {
      log('in-flight requests did not finish in time; exiting', {});
      process.exit(1);
    }, 20_000).unref();
  });
}

function log(msg: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ level: 'info', service: 'api', msg, ...fields }));
}
