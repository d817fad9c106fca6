import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { buildInfo, parseQuoteRequest, priceQuote, ROUTES, type BuildInfo } from '@sample/shared';

export interface ApiOptions {
  build?: BuildInfo;
  /** Value of Access-Control-Allow-Origin, so the web app's page may call us. Default `*`. */
  corsOrigin?: string;
}

/** Largest request body accepted, in bytes. */
const MAX_BODY = 64 * 1024;

/** The api's HTTP server, not yet listening. */
export function createApiServer(options: ApiOptions = {}): Server {
  const build = options.build ?? buildInfo();
  const cors = options.corsOrigin ?? '*';

  return createServer(async (req, res) => {
    res.setHeader('access-control-allow-origin', cors);
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'access-control-allow-methods': 'GET, POST, OPTIONS',
          'access-control-allow-headers': 'content-type',
        });
        res.end();
        return;
      }
      const route = `${req.method} ${url.pathname}`;
      switch (route) {
        case 'GET /health':
          return send(res, 200, { status: 'ok', version: build.version });
        case 'GET /version':
          return send(res, 200, { service: 'api', contentTag: build.contentTag, gitSha: build.gitSha });
        case 'GET /routes':
          return send(res, 200, { routes: ROUTES });
        case 'GET /quote':
          return quote(res, Object.fromEntries(url.searchParams));
        case 'POST /quote': {
          const body = await readJson(req);
          if (!body.ok) return send(res, body.status, { error: body.error });
          return quote(res, body.value);
        }
        default:
          return send(res, 404, { error: `no route for ${route}` });
      }
    } catch (e) {
      send(res, 500, { error: 'internal error' });
      console.error(JSON.stringify({ level: 'error', msg: 'request failed', path: url.pathname, error: String(e) }));
    }
  });
}

function quote(res: ServerResponse, input: unknown): void {
  const parsed = parseQuoteRequest(input);
  if (!parsed.ok) return send(res, 400, { error: 'invalid quote request', details: parsed.errors });
  send(res, 200, priceQuote(parsed.value));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

type JsonBody = { ok: true; value: unknown } | { ok: false; status: number; error: string };

async function readJson(req: IncomingMessage): Promise<JsonBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return { ok: false, status: 413, error: `body larger than ${MAX_BODY} bytes` };
    chunks.push(chunk as Buffer);
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
  } catch {
    return { ok: false, status: 400, error: 'body must be JSON' };
  }
}
