import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildInfo, parseQuoteRequest, priceQuote } from '@sample/shared';

/** Where the worker reads requests, writes priced results, and proves it is alive. */
export interface WorkerPaths {
  /** Incoming `*.json` quote requests (one per file). */
  inbox: string;
  /** `<name>.json` with the quote, or `<name>.error.json` with the validation errors. */
  outbox: string;
  /** Rewritten after every tick; the container health check reads its age. */
  heartbeatFile: string;
}

export interface TickResult {
  priced: number;
  rejected: number;
}

/**
 * One unit of periodic work: price every request waiting in the inbox, move the answers to the
 * outbox, then write the heartbeat. A request is removed from the inbox only after its answer exists,
 * so a worker stopped mid-tick loses nothing.
 */
export async function tick(paths: WorkerPaths, now: () => Date = () => new Date()): Promise<TickResult> {
  await mkdir(paths.inbox, { recursive: true });
  await mkdir(paths.outbox, { recursive: true });
  const result: TickResult = { priced: 0, rejected: 0 };
  const names = (await readdir(paths.inbox)).filter((n) => n.endsWith('.json')).sort();
  for (const name of names) {
    const source = join(paths.inbox, name);
    let input: unknown;
    try {
      input = JSON.parse(await readFile(source, 'utf8'));
    } catch {
      input = undefined;
    }
    const parsed = parseQuoteRequest(input);
    const base = name.slice(0, -'.json'.length);
    const [target, body] = parsed.ok
      ? [`${base}.json`, priceQuote(parsed.value)]
      : [`${base}.error.json`, { errors: input === undefined ? ['file is not valid JSON'] : parsed.errors }];
    const tmp = join(paths.outbox, `.${target}.tmp`);
    await writeFile(tmp, JSON.stringify(body, null, 2));
    await rename(tmp, join(paths.outbox, target));
    await rm(source, { force: true });
    if (parsed.ok) result.priced++;
    else result.rejected++;
  }
  await writeHeartbeat(paths.heartbeatFile, now(), result);
  return result;
}

async function writeHeartbeat(file: string, at: Date, last: TickResult): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, JSON.stringify({ at: at.toISOString(), version: buildInfo().version, last }));
  await rename(tmp, file);
}

/** Heartbeat age in seconds, or undefined when there is none (or it cannot be read). */
export async function heartbeatAge(file: string, now: Date = new Date()): Promise<number | undefined> {
  try {
    const { at } = JSON.parse(await readFile(file, 'utf8')) as { at?: string };
    const t = at ? Date.parse(at) : NaN;
    return Number.isNaN(t) ? undefined : (now.getTime() - t) / 1000;
  } catch {
    return undefined;
  }
}

/** Paths and timing from the environment, with the defaults the image uses. */
export function workerSettings(env: NodeJS.ProcessEnv = process.env) {
  return {
    paths: {
      inbox: env.WORKER_INBOX ?? '/tmp/ferry-worker/inbox',
      outbox: env.WORKER_OUTBOX ?? '/tmp/ferry-worker/outbox',
      heartbeatFile: env.WORKER_HEARTBEAT_FILE ?? '/tmp/worker-heartbeat',
    } satisfies WorkerPaths,
    intervalMs: Number(env.WORKER_INTERVAL_MS ?? 5000),
    /** The health check fails when the heartbeat is older than this. */
    maxHeartbeatAgeSeconds: Number(env.WORKER_MAX_HEARTBEAT_AGE ?? 30),
  };
}
