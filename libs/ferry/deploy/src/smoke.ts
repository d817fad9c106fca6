/**
 * smoke-test: the declarative checks of deploy.json `smoke.checks` against the service URL, plus an
 * optional script run as a child process with SERVICE_URL. `evaluateCheck` is pure.
 */
import { extname, resolve } from 'node:path';
import Table from 'cli-table3';
import { exec, lastLines, patternRedactor, type Redactor, type Reporter, type ResolvedApp, type SmokeCheck } from '@ferry/core';
import { httpRequest, type HttpRequest } from './http.ts';

export interface SmokeResponse {
  status: number;
  body: string;
  latencyMs: number;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  /** What did not match; empty when ok. */
  failures: string[];
  status?: number;
  latencyMs?: number;
}

/** The value at a dotted path (`a.b.0.c`); undefined when any step is missing. */
export function valueAtPath(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

const deepEqual = (a: unknown, b: unknown): boolean => JSON.stringify(canon(a)) === JSON.stringify(canon(b));
function canon(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])]));
  return v;
}

const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

export function evaluateCheck(check: SmokeCheck, res: SmokeResponse): CheckResult {
  const failures: string[] = [];
  const expect = check.expectStatus ?? 200;
  if (res.status !== expect) failures.push(`status ${res.status}, expected ${expect}`);
  if (check.bodyContains !== undefined && !res.body.includes(check.bodyContains)) failures.push(`body does not contain ${JSON.stringify(check.bodyContains)}`);
  if (check.jsonEquals && Object.keys(check.jsonEquals).length) {
    let parsed: unknown;
    let parsedOk = true;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      parsedOk = false;
      failures.push(`body is not JSON (starts ${JSON.stringify(res.body.slice(0, 60))})`);
    }
    if (parsedOk) {
      for (const [path, want] of Object.entries(check.jsonEquals)) {
        const got = valueAtPath(parsed, path);
        if (!deepEqual(got, want)) failures.push(`${path} is ${show(got)}, expected ${show(want)}`);
      }
    }
  }
  if (check.maxLatencyMs !== undefined && res.latencyMs > check.maxLatencyMs) failures.push(`took ${res.latencyMs} ms, budget ${check.maxLatencyMs} ms`);
  return { name: check.name, ok: failures.length === 0, failures, status: res.status, latencyMs: res.latencyMs };
}

/** The request for a check: method, URL, headers and body (objects sent as JSON). */
export function checkRequest(check: SmokeCheck, baseUrl: string): { url: string; init: HttpRequest } {
  const headers: Record<string, string> = { ...(check.headers ?? {}) };
  let body: string | undefined;
  if (check.body !== undefined) {
    body = typeof check.body === 'string' ? check.body : JSON.stringify(check.body);
    if (typeof check.body !== 'string' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  return { url: baseUrl.replace(/\/+$/, '') + check.path, init: { method: check.method ?? 'GET', headers, body } };
}

export async function runCheck(check: SmokeCheck, baseUrl: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<CheckResult> {
  const { url, init } = checkRequest(check, baseUrl);
  const started = performance.now();
  try {
    const res = await httpRequest(url, { ...init, signal: AbortSignal.any([AbortSignal.timeout(opts.timeoutMs ?? 10_000), ...(opts.signal ? [opts.signal] : [])]) });
    return evaluateCheck(check, { status: res.status, body: res.body, latencyMs: Math.round(performance.now() - started) });
  } catch (e) {
    return { name: check.name, ok: false, failures: [`request failed: ${(e as Error).message}`], latencyMs: Math.round(performance.now() - started) };
  }
}

/** The command that runs a smoke script: TypeScript through tsx, JavaScript with node. */
export function scriptCommand(script: string): string[] {
  const ext = extname(script);
  return ext === '.ts' || ext === '.mts' || ext === '.cts' ? [process.execPath, '--import', 'tsx', script] : [process.execPath, script];
}

/** Runs the smoke script with SERVICE_URL; exit 0 passes. Output is kept for the report. */
export async function runScript(script: string, serviceUrl: string, opts: { cwd: string; signal?: AbortSignal; timeoutMs?: number }): Promise<CheckResult & { output: string }> {
  const [cmd, ...args] = scriptCommand(script);
  const started = performance.now();
  const r = await exec(cmd, args, { cwd: opts.cwd, env: { SERVICE_URL: serviceUrl }, signal: opts.signal, timeout: opts.timeoutMs ?? 120_000, nothrow: true });
  const output = r.output;
  const why = r.timedOut
    ? `timed out after ${Math.round((opts.timeoutMs ?? 120_000) / 1000)} s`
    : r.signal
      ? `killed by ${r.signal}`
      : r.exitCode === 127
        ? `could not run: ${lastLines(r.stderr, 1).join('') || 'not found'}`
        : `exited ${r.exitCode}${output.trim() ? `: ${output.trim().split('\n').slice(-3).join(' | ')}` : ''}`;
  return {
    name: `script ${script}`,
    ok: r.exitCode === 0,
    failures: r.exitCode === 0 ? [] : [why],
    latencyMs: Math.round(performance.now() - started),
    output,
  };
}

type JunitBuilder = import('junit-report-builder').Builder;

/**
 * The results as a JUnit XML document (one suite per app, one case per check). The builder module
 * (a sixth of ferry's bundled code) is loaded only when a report is asked for (`--junit`). Names and
 * failures are masked with `redactor` (the run's secrets and the patterns; the patterns alone by
 * default): CI keeps and shows this file like the terminal's output.
 */
export async function junitXml(suiteName: string, checks: CheckResult[], redactor: Redactor = patternRedactor): Promise<string> {
  const results = checks.map((r) => ({ ...r, name: redactor.redact(r.name), failures: r.failures.map((f) => redactor.redact(f)) }));
  const junitModule = await import('junit-report-builder');
  // The package's CJS build exports the builder as module.exports; its types describe an ES default.
  const root = ((junitModule as unknown as { default?: JunitBuilder }).default ?? junitModule) as unknown as JunitBuilder;
  const b = root.newBuilder();
  const suite = b.testSuite().name(suiteName);
  for (const r of results) {
    const tc = suite.testCase().className(suiteName).name(r.name);
    if (r.latencyMs !== undefined) tc.time(r.latencyMs / 1000);
    if (!r.ok) tc.failure(r.failures.join('; '));
  }
  return b.build();
}

/** The results as a terminal table. */
export function smokeTable(results: CheckResult[]): string {
  const t = new Table({ head: ['check', 'result', 'status', 'ms', 'why'], wordWrap: true, colWidths: [36, 8, 8, 7, 50], style: { head: [] } });
  for (const r of results) t.push([r.name, r.ok ? 'pass' : 'FAIL', r.status ?? '', r.latencyMs ?? '', r.failures.join('\n')]);
  return t.toString();
}

export interface SmokeRun {
  url: string;
  results: CheckResult[];
  passed: number;
  failed: number;
}

/** Runs every declarative check, then the script; emits one progress line per check. */
export async function runSmoke(
  resolved: ResolvedApp,
  url: string,
  o: { reporter: Reporter; signal?: AbortSignal },
): Promise<SmokeRun> {
  const { app } = resolved;
  const results: CheckResult[] = [];
  o.reporter.emit({ kind: 'step', app: app.project, step: 'smoke', status: 'start', message: `${app.smoke.checks.length} check(s)${app.smoke.script ? ' and a script' : ''} against ${url}` });
  for (const check of app.smoke.checks) {
    if (o.signal?.aborted) break;
    const r = await runCheck(check, url, { signal: o.signal });
    results.push(r);
    o.reporter.emit({ kind: 'progress', app: app.project, step: 'smoke', message: `${r.ok ? 'pass' : 'FAIL'} ${r.name}${r.ok ? '' : `: ${r.failures.join('; ')}`}` });
  }
  if (app.smoke.script && !o.signal?.aborted) {
    const script = resolve(resolved.projectRoot, app.smoke.script);
    const { output: _output, ...r } = await runScript(script, url, { cwd: resolved.projectRoot, signal: o.signal });
    results.push({ ...r, name: `script ${app.smoke.script}` });
  }
  const failed = results.filter((r) => !r.ok).length;
  return { url, results, passed: results.length - failed, failed };
}
