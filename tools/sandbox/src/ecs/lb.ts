/**
 * The sandbox's stand-in for an ALB: one HTTP reverse proxy per service on a stable 127.0.0.1 port,
 * round-robin over the service's RUNNING and healthy tasks. In-flight requests are counted per task
 * so a draining task is stopped only after they finish.
 */
import http from 'node:http';
import net from 'node:net';

export interface Target {
  taskId: string;
  port: number;
}

export class LoadBalancers {
  private servers = new Map<string, http.Server>();
  private opening = new Set<string>();
  private cursor = new Map<string, number>();
  private inflight = new Map<string, number>();
  private drainWaiters = new Map<string, (() => void)[]>();

  /** `targets(serviceKey)` is asked on every request, so deregistration is immediate. */
  constructor(
    private readonly targets: (serviceKey: string) => Target[],
    private readonly log: (m: string) => void,
  ) {}

  /** Open, or opening, or failed to open (not retried until the next sandbox start). */
  has(serviceKey: string): boolean {
    return this.servers.has(serviceKey) || this.opening.has(serviceKey);
  }

  async open(serviceKey: string, port: number): Promise<void> {
    if (this.has(serviceKey)) return;
    this.opening.add(serviceKey);
    const server = http.createServer((req, res) => this.handle(serviceKey, req, res));
    server.keepAliveTimeout = 2000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    server.on('error', (e) => this.log(`load balancer for ${serviceKey}: ${e.message}`));
    this.opening.delete(serviceKey);
    this.servers.set(serviceKey, server);
  }

  async close(serviceKey: string): Promise<void> {
    this.opening.delete(serviceKey);
    const server = this.servers.get(serviceKey);
    if (!server) return;
    this.servers.delete(serviceKey);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((k) => this.close(k)));
  }

  /** Resolves once no request is in flight to `taskId` (or after `maxMs`). */
  drained(taskId: string, maxMs: number): Promise<void> {
    if (!this.inflight.get(taskId)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, maxMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      const list = this.drainWaiters.get(taskId) ?? [];
      list.push(done);
      this.drainWaiters.set(taskId, list);
    });
  }

  private handle(serviceKey: string, req: http.IncomingMessage, res: http.ServerResponse) {
    const targets = this.targets(serviceKey);
    if (targets.length === 0) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('503 Service Temporarily Unavailable: no healthy targets\n');
      return;
    }
    const i = (this.cursor.get(serviceKey) ?? 0) % targets.length;
    this.cursor.set(serviceKey, i + 1);
    const target = targets[i];
    this.inflight.set(target.taskId, (this.inflight.get(target.taskId) ?? 0) + 1);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      const n = (this.inflight.get(target.taskId) ?? 1) - 1;
      if (n > 0) this.inflight.set(target.taskId, n);
      else {
        this.inflight.delete(target.taskId);
        for (const w of this.drainWaiters.get(target.taskId) ?? []) w();
        this.drainWaiters.delete(target.taskId);
      }
    };
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, 'x-forwarded-for': req.socket.remoteAddress ?? '127.0.0.1', connection: 'close' },
        agent: false,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        up.on('end', finish);
        up.on('error', finish);
      },
    );
    upstream.on('error', () => {
      finish();
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('502 Bad Gateway\n');
      else res.destroy();
    });
    res.on('close', finish);
    req.pipe(upstream);
  }
}

/** True when 127.0.0.1:`port` can be bound right now. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A free loopback port chosen by the OS (for a task's $PORT). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
