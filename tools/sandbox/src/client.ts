import type { FaultSpec, Stats } from './control.ts';

/** Talks to a running sandbox's `/_sandbox/*` routes (e.g. one started by `npm run sandbox:up`). */
export interface SandboxAdmin {
  health(): Promise<{ ok: boolean; [k: string]: unknown }>;
  info(): Promise<Record<string, any>>;
  stats(): Promise<Stats>;
  resetStats(): Promise<void>;
  setFaults(spec: FaultSpec): Promise<void>;
  clearFaults(): Promise<void>;
}

export function sandboxAdmin(endpoint: string): SandboxAdmin {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${endpoint}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const json = (await res.json()) as any;
    if (!res.ok) throw new Error(`sandbox ${method} ${path}: HTTP ${res.status} ${json?.message ?? ''}`);
    return json;
  };
  return {
    health: () => call('GET', '/_sandbox/health'),
    info: () => call('GET', '/_sandbox/info'),
    stats: () => call('GET', '/_sandbox/stats'),
    resetStats: async () => void (await call('POST', '/_sandbox/stats/reset')),
    setFaults: async (spec) => void (await call('POST', '/_sandbox/faults', spec)),
    clearFaults: async () => void (await call('DELETE', '/_sandbox/faults')),
  };
}
