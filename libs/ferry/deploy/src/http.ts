/**
 * The HTTP requests of health and smoke checks, on node:http and node:https.
 *
 * Why not the global fetch: Node 20 sets up its fetch implementation (undici) on first use, 70-110 ms
 * of CPU measured on the benchmark's machine (docs/performance.md), paid once by every batch whose
 * apps are checked, a no-op deploy included; node:http is loaded already (the AWS SDK's handler).
 * What the checks relied on from fetch is kept: redirects are followed the way the Fetch standard
 * follows them (at most 20; 303, and 301/302 after a POST, go on as GET without the body; a
 * redirect to another origin drops Authorization), a timeout and the caller's abort signal end the
 * request, and the answer's body is read whole.
 * https://fetch.spec.whatwg.org/#http-redirect-fetch
 */
import { request as httpRequestRaw, type IncomingMessage } from 'node:http';
import { request as httpsRequestRaw } from 'node:https';

export interface HttpRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Aborts the request, redirects included (e.g. AbortSignal.timeout). */
  signal?: AbortSignal;
}

export interface HttpAnswer {
  status: number;
  /** The body as text (UTF-8). */
  body: string;
  /** The URL that answered, after redirects. */
  url: string;
}

const MAX_REDIRECTS = 20;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** One request, following redirects; rejects on a network error, an abort or too many redirects. */
export async function httpRequest(url: string, o: HttpRequest = {}): Promise<HttpAnswer> {
  let current = new URL(url);
  let method = (o.method ?? 'GET').toUpperCase();
  let body = o.body;
  // fetch's defaults, unless the check sets its own.
  let headers: Record<string, string> = { accept: '*/*', 'user-agent': 'ferry', ...(o.headers ?? {}) };
  for (let hop = 0; ; hop++) {
    const res = await send(current, method, headers, body, o.signal);
    const location = res.headers.location;
    if (!REDIRECTS.has(res.statusCode ?? 0) || !location) {
      return { status: res.statusCode ?? 0, body: await readBody(res, o.signal), url: current.href };
    }
    res.resume();
    if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects from ${url}`);
    const next = new URL(location, current);
    ({ method, body, headers } = redirected({ status: res.statusCode!, method, body, headers, from: current, to: next }));
    current = next;
  }
}

/** The next request of a redirect, as the Fetch standard builds it. Pure. */
export function redirected(r: { status: number; method: string; body?: string; headers: Record<string, string>; from: URL; to: URL }): { method: string; body?: string; headers: Record<string, string> } {
  let { method, body } = r;
  let headers = { ...r.headers };
  if (r.status === 303 ? method !== 'HEAD' : (r.status === 301 || r.status === 302) && method === 'POST') {
    method = 'GET';
    body = undefined;
    headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !/^content-(type|length|encoding|language|location)$/i.test(k)));
  }
  if (r.from.origin !== r.to.origin) headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
  return { method, body, headers };
}

function send(url: URL, method: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal | undefined): Promise<IncomingMessage> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new Error(`cannot request ${url.href}: only http and https URLs`));
  const request = url.protocol === 'https:' ? httpsRequestRaw : httpRequestRaw;
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: body === undefined ? headers : { 'content-length': String(Buffer.byteLength(body)), ...headers }, signal }, resolve);
    req.on('error', (e) => reject(signal?.aborted ? abortError(signal) : e));
    req.end(body);
  });
}

function readBody(res: IncomingMessage, signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onAbort = () => {
      res.destroy();
      reject(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      signal?.removeEventListener('abort', onAbort);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    res.on('error', (e) => {
      signal?.removeEventListener('abort', onAbort);
      reject(signal?.aborted ? abortError(signal) : e);
    });
  });
}

/** The signal's reason (a TimeoutError for AbortSignal.timeout), as fetch rejects with it. */
function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('the request was aborted');
}
