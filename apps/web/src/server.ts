import { createServer, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

export interface WebOptions {
  /** Folder with index.html and the page's scripts. */
  staticDir: string;
  /** Base URL of the api the page calls, from the API_URL environment variable. */
  apiUrl: string;
  /** Content tag this image was built with (FERRY_CONTENT_TAG). */
  version: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The web app's HTTP server, not yet listening. The page talks to the api over HTTP only. */
export function createWebServer(options: WebOptions): Server {
  const root = normalize(options.staticDir + sep);
  return createServer(async (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'text/plain', 'method not allowed');
    if (pathname === '/health') {
      return text(res, 200, 'application/json', JSON.stringify({ status: 'ok', version: options.version }));
    }
    if (pathname === '/config.js') {
      // Runtime configuration: the same image serves every environment.
      const config = { apiUrl: options.apiUrl, version: options.version };
      return text(res, 200, TYPES['.js'], `window.FERRY_CONFIG = ${JSON.stringify(config)};\n`);
    }
    const file = normalize(join(root, pathname === '/' ? 'index.html' : decodeURIComponent(pathname)));
    if (!file.startsWith(root) || !TYPES[extname(file)]) return text(res, 404, 'text/plain', 'not found');
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)], 'content-length': body.length, 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      text(res, 404, 'text/plain', 'not found');
    }
  });
}

function text(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
