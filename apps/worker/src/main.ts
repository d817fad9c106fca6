import { buildInfo } from '@sample/shared';
import { tick, workerSettings } from './worker.ts';

const settings = workerSettings();
const build = buildInfo();
let stopping = false;
let timer: NodeJS.Timeout | undefined;
let running: Promise<unknown> = Promise.resolve();

log('starting', { ...settings.paths, intervalMs: settings.intervalMs, contentTag: build.contentTag, gitSha: build.gitSha });

function schedule(delay: number): void {
  timer = setTimeout(() => {
    running = tick(settings.paths).then(
      (r) => { if (r.priced + r.rejected > 0) log('tick', { ...r }); },
      (e) => console.error(JSON.stringify({ level: 'error', service: 'worker', msg: 'tick failed', error: String(e) })),
    ).finally(() => { if (!stopping) schedule(settings.intervalMs); });
  }, delay);
}
schedule(0);

// On SIGTERM finish the tick in progress (it never leaves a half-written answer), then exit.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    clearTimeout(timer);
    log('stopping', { signal });
    void running.finally(() => { log('stopped', {}); process.exit(0); });
  });
}

function log(msg: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ level: 'info', service: 'worker', msg, ...fields }));
}
