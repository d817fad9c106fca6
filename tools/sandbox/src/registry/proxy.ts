import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Control } from '../control.ts';
import type { PushGuard } from '../ecr/index.ts';
import { RegistryApiError, sha256Digest } from './client.ts';

/** `/v2/<name>/(manifests|blobs|tags)/<rest>` -> parts; undefined for `/v2/`, `_catalog` and anything else. */
export function parseRegistryPath(url: string): { name: string; kind: 'manifests' | 'blobs' | 'tags'; reference: string } | undefined {
  const path = url.split('?')[0];
  const m = /^\/v2\/(.+?)\/(manifests|blobs|tags)\/(.*)$/.exec(path);
  if (!m) return undefined;
  return { name: m[1], kind: m[2] as 'manifests' | 'blobs' | 'tags', reference: m[3] };
}

function sendRegistryError(res: http.ServerResponse, err: RegistryApiError): void {
  const body = JSON.stringify({ errors: [{ code: err.code, message: err.message, detail: null }] });
  res.writeHead(err.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'docker-distribution-api-version': 'registry/2.0' });
  res.end(body);
}

/**
 * The registry's public face: a reverse proxy on the registry port that counts requests, injects
 * outages, and enforces what ECR enforces on `docker push` but the registry does not (pushing only
 * to created repositories, immutable tags).
 */
export async function startRegistryProxy(opts: { port: number; upstreamPort: number; control: Control; guard: PushGuard }): Promise<{ port: number; stop(): Promise<void> }> {
  const { control, guard, upstreamPort } = opts;
  const agent = new http.Agent({ keepAlive: true });

  function forward(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer | undefined, after?: (upstream: http.IncomingMessage) => void): void {
    const up = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers, agent }, (upRes) => {
      after?.(upRes);
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', (err) => {
      if (!res.headersSent) sendRegistryError(res, new RegistryApiError(502, 'UNAVAILABLE', `sandbox registry unreachable: ${err.message}`));
      else res.destroy();
    });
    if (body) up.end(body);
    else req.pipe(up);
  }

  const server = http.createServer((req, res) => {
    control.count('registry', req.method ?? 'UNKNOWN');
    const outage = control.takeOutage();
    if (outage === 'drop') {
      req.socket.destroy();
      return;
    }
    if (outage === '503') {
      req.resume();
      sendRegistryError(res, new RegistryApiError(503, 'UNAVAILABLE', 'service unavailable (sandbox fault injection: registryOutage)'));
      return;
    }
    const target = parseRegistryPath(req.url ?? '/');
    if (target) {
      const refused = guard.checkRepository(target.name);
      if (refused) {
        req.resume();
        sendRegistryError(res, refused);
        return;
      }
    }
    if (target?.kind === 'manifests' && req.method === 'PUT') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks);
        const digest = sha256Digest(body);
        try {
          if (!target.reference.startsWith('sha256:')) {
            const refusal = await guard.checkTagPush(target.name, target.reference, digest);
            if (refusal) return sendRegistryError(res, refusal);
          }
        } catch (err) {
          return sendRegistryError(res, new RegistryApiError(500, 'UNKNOWN', `sandbox push check failed: ${(err as Error).message}`));
        }
        forward(req, res, body, (upRes) => {
          if (upRes.statusCode === 201) guard.pushed(target.name, String(upRes.headers['docker-content-digest'] ?? digest));
        });
      });
      return;
    }
    forward(req, res, undefined);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${opts.port} for the sandbox registry is in use (another sandbox or program?); stop it or choose another with --registry-port / FERRY_SANDBOX_REGISTRY_PORT`) : err),
    );
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    async stop() {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };
}
