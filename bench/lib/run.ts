/**
 * Running commands for the benchmark: argument arrays, every output line stamped with the time it
 * arrived (detection latency and phase boundaries are read from these stamps), and Nx's task
 * profile (NX_PROFILE) for per-task durations.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

export interface Line {
  /** Date.now() when the line arrived. */
  t: number;
  text: string;
}

export interface RunResult {
  code: number;
  ms: number;
  /** User + system CPU of the command and every process it waited for (GNU time), when asked. */
  cpuMs?: number;
  started: number;
  lines: Line[];
}

/** Runs `cmd args` in `cwd`; rejects on a non-zero exit unless `allowFail`. */
const GNU_TIME = '/usr/bin/time';
const CPU_MARK = '__ferry_bench_cpu__';

export function run(cmd: string, args: string[], o: { cwd: string; env?: NodeJS.ProcessEnv; allowFail?: boolean; echo?: boolean; input?: string; cpu?: boolean }): Promise<RunResult> {
  // CPU time is what a loaded, shared machine distorts least: measured with GNU time when present.
  if (o.cpu && existsSync(GNU_TIME)) {
    [cmd, args] = [GNU_TIME, ['-f', `${CPU_MARK} %U %S`, cmd, ...args]];
  }
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: o.cwd, env: o.env ?? process.env, stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (o.input !== undefined) child.stdin!.end(o.input);
    const lines: Line[] = [];
    const feed = (buf: { rest: string }) => (d: Buffer) => {
      const t = Date.now();
      const parts = (buf.rest + d.toString('utf8')).split('\n');
      buf.rest = parts.pop()!;
      for (const text of parts) {
        lines.push({ t, text });
        if (o.echo) process.stderr.write(`  | ${text}\n`);
      }
    };
    const out = { rest: '' };
    const err = { rest: '' };
    child.stdout!.on('data', feed(out));
    child.stderr!.on('data', feed(err));
    child.on('error', reject);
    child.on('close', (code) => {
      for (const b of [out, err]) if (b.rest) lines.push({ t: Date.now(), text: b.rest });
      const mark = lines.findIndex((l) => l.text.startsWith(CPU_MARK));
      let cpuMs: number | undefined;
      if (mark >= 0) {
        const [, user, sys] = lines[mark].text.split(' ');
        cpuMs = (Number(user) + Number(sys)) * 1000;
        lines.splice(mark, 1);
      }
      const r = { code: code ?? 1, ms: performance.now() - t0, cpuMs, started, lines };
      if (r.code !== 0 && !o.allowFail) {
        reject(new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${lines.slice(-60).map((l) => l.text).join('\n')}`));
      } else resolve(r);
    });
  });
}

/** One task of an Nx run from NX_PROFILE. */
export interface TaskTiming {
  id: string;
  project: string;
  target: string;
  startMs: number;
  ms: number;
}

/** Reads and removes an NX_PROFILE file; start times are relative to the first task. */
export function readProfile(file: string): TaskTiming[] {
  if (!existsSync(file)) return [];
  const events = JSON.parse(readFileSync(file, 'utf8')) as { name: string; ph: string; ts: number; dur?: number; args?: { target?: { project: string; target: string } } }[];
  rmSync(file, { force: true });
  const tasks = events.filter((e) => e.ph === 'X' && e.args?.target);
  const first = Math.min(...tasks.map((e) => e.ts));
  return tasks.map((e) => ({ id: e.name, project: e.args!.target!.project, target: e.args!.target!.target, startMs: (e.ts - first) / 1000, ms: (e.dur ?? 0) / 1000 }));
}

export const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
