import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { AwsError, type SandboxService } from './context.ts';
import { consolePage } from './console/page.ts';
import type { Control } from './control.ts';
import { errorResponse, okResponse, parseBody, parseTarget, type ApiName, type WireResponse } from './protocol.ts';
import { stsQuery } from './sts.ts';
import { isQueryRequest, parseQueryRequest, queryErrorResponse, queryOkResponse, type QueryModel } from './query-protocol.ts';
import { loadModel } from './model-validation.ts';

/** What the API server routes to. `ecs` is undefined until the ECS part exists. */
export interface ApiServerOptions {
  host: string;
  port: number;
  control: Control;
  services: { ecs?: SandboxService; ecr: SandboxService; logs?: SandboxService; autoscaling?: SandboxService; elbv2?: SandboxService };
  /** The account STS GetCallerIdentity answers with (default 000000000000). */
  accountId?: string;
  /** Body of `GET /_sandbox/info`. */
  info(): unknown;
  /** Body of `GET /_sandbox/console/state` (console/view.ts); without it the console has no state route. */
  consoleState?(): unknown;
  /** Body of `GET /_sandbox/health`. */
  health(): Record<string, unknown>;
  /** `POST /_sandbox/shutdown`: the CLI's `down` asks the server to stop (optionally removing task containers). */
  onShutdown?(opts: { removeTasks: boolean }): void;
  log(message: string): void;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, r: WireResponse): void {
  res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(r.body) });
  res.end(r.body);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  send(res, { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body, null, 2) });
}

/**
 * Dispatches one AWS JSON 1.1 call. Pure of HTTP so tests can drive it: target header + body text
 * in, wire response out. Signatures are not verified; any SigV4-signed request is accepted.
 */
export async function dispatch(opts: Pick<ApiServerOptions, 'control' | 'services' | 'log'>, target: string | undefined, bodyText: string): Promise<WireResponse> {
  const requestId = randomUUID();
  const parsed = parseTarget(target);
  try {
    if (!parsed) throw new AwsError('UnknownOperationException', `Unknown or missing X-Amz-Target '${target ?? ''}'`);
    const { api, operation } = parsed;
    opts.control.count(api, operation);
    const service = opts.services[api as ApiName];
    const handler = service && Object.hasOwn(service.handlers, operation) ? service.handlers[operation] : undefined;
    if (!handler) {
      throw new AwsError('UnknownOperationException', service ? `Operation ${operation} is not supported by the ferry sandbox's ${api.toUpperCase()} API` : `The ferry sandbox's ${api.toUpperCase()} API is not available`);
    }
    const input = parseBody(bodyText);
    if (opts.control.takeThrottle(api, operation)) throw new AwsError('ThrottlingException', 'Rate exceeded');
    return okResponse(await handler(input), requestId);
  } catch (err) {
    if (!(err instanceof AwsError)) opts.log(`${target}: unexpected error: ${(err as Error)?.stack ?? String(err)}`);
    return errorResponse(err, requestId);
  }
}

const ELBV2_VERSION = '2015-12-01';
let elbv2Model: QueryModel | undefined;

/**
 * Dispatches one AWS Query call (ELBv2: form-encoded `Action=…&Version=2015-12-01`, XML answer). The
 * form becomes the operation's input by the ELBv2 model; the handler table validates it against the
 * same model as every other API before the handler runs.
 */
export async function dispatchQuery(opts: Pick<ApiServerOptions, 'control' | 'services' | 'log'>, bodyText: string): Promise<WireResponse> {
  const requestId = randomUUID();
  elbv2Model ??= loadModel('elbv2') as unknown as QueryModel;
  const ns = elbv2Model.metadata.xmlNamespace ?? '';
  let operation = '';
  try {
    const parsed = parseQueryRequest(bodyText, elbv2Model);
    operation = parsed.operation;
    if (parsed.version !== ELBV2_VERSION) throw new AwsError('InvalidAction', `The ferry sandbox serves the Query API version ${ELBV2_VERSION} (Elastic Load Balancing v2) only, not '${parsed.version ?? ''}'`);
    opts.control.count('elbv2', operation);
    const service = opts.services.elbv2;
    const handler = service && Object.hasOwn(service.handlers, operation) ? service.handlers[operation] : undefined;
    if (!handler) throw new AwsError('InvalidAction', service ? `Operation ${operation} is not supported by the ferry sandbox's ELBv2 API` : "The ferry sandbox's ELBv2 API is not available");
    if (opts.control.takeThrottle('elbv2', operation)) throw new AwsError('Throttling', 'Rate exceeded');
    return queryOkResponse(operation, await handler(parsed.input), ns, requestId);
  } catch (err) {
    if (!(err instanceof AwsError)) opts.log(`elbv2 ${operation}: unexpected error: ${(err as Error)?.stack ?? String(err)}`);
    return queryErrorResponse(err, ns, requestId);
  }
}

/** The sandbox's one HTTP endpoint: the ECS, ECR, CloudWatch Logs and Application Auto Scaling APIs (by X-Amz-Target), STS and ELBv2 (Query protocol) and `/_sandbox/*`. */
export async function startApiServer(opts: ApiServerOptions): Promise<{ server: http.Server; port: number; stop(): Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    try {
      const path = (req.url ?? '/').split('?')[0];
      if (path.startsWith('/_sandbox/')) return await control(req, res, path);
      const body = await readBody(req);
      const target = req.headers['x-amz-target'];
      // AWS Query protocol (no X-Amz-Target, a form body): STS GetCallerIdentity (Version 2011-06-15), else ELBv2.
      const query = !target && String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') ? stsQuery(body, opts.accountId ?? '000000000000') : undefined;
      if (query) return send(res, query);
      if (target === undefined && isQueryRequest(req.headers['content-type'], body)) return send(res, await dispatchQuery(opts, body));
      send(res, await dispatch(opts, Array.isArray(target) ? target[0] : target, body));
    } catch (err) {
      opts.log(`request failed: ${(err as Error)?.stack ?? String(err)}`);
      if (!res.headersSent) send(res, errorResponse(err));
    }
  });

  async function control(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    const route = `${req.method} ${path}`;
    const body = req.method === 'POST' ? await readBody(req) : '';
    const json = () => {
      try {
        return body.trim() ? JSON.parse(body) : {};
      } catch {
        throw new AwsError('SerializationException', 'Malformed JSON body');
      }
    };
    try {
      switch (route) {
        case 'GET /_sandbox/health':
          return sendJson(res, 200, { ok: true, ...opts.health() });
        case 'GET /_sandbox/info':
          return sendJson(res, 200, opts.info());
        case 'GET /_sandbox/stats':
          return sendJson(res, 200, opts.control.stats());
        case 'POST /_sandbox/stats/reset':
          opts.control.resetStats();
          return sendJson(res, 200, opts.control.stats());
        case 'GET /_sandbox/faults':
          return sendJson(res, 200, opts.control.faults());
        case 'POST /_sandbox/faults':
          opts.control.setFaults(json());
          return sendJson(res, 200, opts.control.faults());
        case 'DELETE /_sandbox/faults':
          opts.control.clearFaults();
          return sendJson(res, 200, opts.control.faults());
        case 'GET /_sandbox/console':
          return send(res, consolePage());
        case 'GET /_sandbox/console/state':
          return opts.consoleState ? sendJson(res, 200, opts.consoleState()) : sendJson(res, 404, { __type: 'NotFound', message: 'this server keeps no console state' });
        case 'POST /_sandbox/shutdown': {
          const removeTasks = json().removeTasks === true;
          sendJson(res, 202, { stopping: true, removeTasks });
          opts.onShutdown?.({ removeTasks });
          return;
        }
        default:
          return sendJson(res, 404, { __type: 'NotFound', message: `no sandbox route ${route}; see docs/sandbox.md` });
      }
    } catch (err) {
      const e = err instanceof AwsError ? err : new AwsError('ServerException', String((err as Error)?.message ?? err), 500);
      sendJson(res, e.status, { __type: e.type, message: e.message });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${opts.port} for the sandbox API is in use (another sandbox or program?); stop it or choose another with --port / FERRY_SANDBOX_PORT`) : err),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    async stop() {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    },
  };
}
