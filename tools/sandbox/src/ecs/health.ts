/**
 * ECS container health checks run by the sandbox itself (docker exec), with ECS semantics: exit 0
 * is a pass; `retries` consecutive failures make the container UNHEALTHY; failures during
 * `startPeriod` don't count and a pass during it marks the container HEALTHY at once.
 * Sandbox timing: the first check runs 0.5 s after start and, until the first pass, checks repeat
 * every 1 s inside `startPeriod` (like Docker's start interval); afterwards every `interval`.
 */
import type { HealthCheckDef, HealthStatus } from './model.ts';
import type { TaskRuntime } from './runtime.ts';

export function healthCommand(hc: HealthCheckDef): string[] | undefined {
  const [kind, ...rest] = hc.command;
  if (kind === 'CMD-SHELL') return ['/bin/sh', '-c', rest.join(' ')];
  if (kind === 'CMD') return rest;
  return undefined;
}

export class HealthMonitor {
  status: HealthStatus = 'UNKNOWN';
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly runtime: TaskRuntime,
    private readonly dockerId: string,
    private readonly hc: HealthCheckDef,
    private readonly startedAtMs: number,
    private readonly onChange: (status: HealthStatus) => void,
  ) {}

  start(initial: HealthStatus = 'UNKNOWN'): void {
    this.status = initial;
    this.schedule(500);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(ms: number) {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.check(), ms);
    this.timer.unref();
  }

  private async check() {
    const cmd = healthCommand(this.hc);
    if (!cmd) return;
    const timeoutMs = (this.hc.timeout ?? 5) * 1000;
    let ok = false;
    try {
      ok = (await this.runtime.exec(this.dockerId, cmd, timeoutMs)) === 0;
    } catch {
      ok = false;
    }
    if (this.stopped) return;
    const inStartPeriod = Date.now() - this.startedAtMs < (this.hc.startPeriod ?? 0) * 1000;
    if (ok) {
      this.failures = 0;
      this.set('HEALTHY');
    } else if (!inStartPeriod) {
      this.failures++;
      if (this.failures >= (this.hc.retries ?? 3)) this.set('UNHEALTHY');
    }
    this.schedule(inStartPeriod && this.status !== 'HEALTHY' ? 1000 : (this.hc.interval ?? 30) * 1000);
  }

  private set(status: HealthStatus) {
    if (status === this.status) return;
    this.status = status;
    this.onChange(status);
  }
}
