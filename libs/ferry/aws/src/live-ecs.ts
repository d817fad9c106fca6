/**
 * The run's read-through cache of live ECS state: the services and tasks this run has read, so
 * that a chain's steps (deploy-app, health-check, smoke-test, deploy) and the batch's first read of
 * many services at once are not each a round trip to ECS.
 *
 * The rules are few and stated:
 * - every answer ECS gives this run is remembered, with when it was read;
 * - a read is served from memory only when the caller says how old an answer may be
 *   (`{ maxAgeMs }`) and the remembered one is no older; without it the call goes to ECS (the
 *   rollout watcher, the lock's checks and the re-plan under the lock read that way);
 * - any write of this run to a service (UpdateService, CreateService, a tag on it) forgets what is
 *   known about that service and its tasks, so nothing this run changed is answered from memory.
 * LIVE_MAX_AGE_MS is how old a read a plan or a health check of this run may rely on.
 */
import type { Clock } from '@ferry/core';
import type { EcsPort, EcsService, EcsTask, ReadOptions } from './ecs.ts';

/** How old a read of live ECS state may be when a plan or a health check relies on it. */
export const LIVE_MAX_AGE_MS = 60_000;

interface ServiceRead {
  readAt: number;
  service?: EcsService;
  /** DescribeServices answered MISSING for it. */
  missing: boolean;
}

interface TaskRead {
  readAt: number;
  tasks: EcsTask[];
}

const serviceName = (s: EcsService) => s.serviceName ?? (s.serviceArn ?? '').split('/').pop() ?? '';
const keyOf = (cluster: string, service: string) => `${cluster}\0${service.split('/').pop()}`;

export class LiveEcsCache {
  private readonly services = new Map<string, ServiceRead>();
  /** RUNNING tasks by cluster and service, from a service's own listing or a cluster-wide one. */
  private readonly running = new Map<string, TaskRead>();
  constructor(readonly clock: Pick<Clock, 'now'>) {}

  private fresh<T extends { readAt: number }>(r: T | undefined, maxAgeMs: number | undefined): T | undefined {
    if (!r || !maxAgeMs || maxAgeMs <= 0) return undefined;
    const age = this.clock.now() - r.readAt;
    return age >= 0 && age <= maxAgeMs ? r : undefined;
  }

  /** Remembers a DescribeServices answer for `names` read at `readAt`. */
  putServices(cluster: string, names: string[], answer: { services: EcsService[]; failures: { arn?: string; reason?: string }[] }, readAt: number): void {
    for (const name of names) {
      const service = answer.services.find((s) => s.serviceName === name || s.serviceArn === name || serviceName(s) === name);
      const missing = !service && answer.failures.some((f) => f.reason === 'MISSING' && (f.arn === name || (f.arn ?? '').endsWith(`/${name}`)));
      if (service || missing) this.services.set(keyOf(cluster, name), { readAt, service, missing });
    }
  }

  /** The remembered read of one service when no older than `maxAgeMs`. */
  service(cluster: string, name: string, maxAgeMs: number | undefined): ServiceRead | undefined {
    return this.fresh(this.services.get(keyOf(cluster, name)), maxAgeMs);
  }

  /** Remembers the cluster's RUNNING tasks, by service (each task's `service:<name>` group). */
  putClusterTasks(cluster: string, tasks: EcsTask[], readAt: number, services?: string[]): void {
    const by = new Map<string, EcsTask[]>((services ?? []).map((s) => [s, []]));
    for (const t of tasks) {
      const s = t.group?.startsWith('service:') ? t.group.slice('service:'.length) : undefined;
      if (s) by.set(s, [...(by.get(s) ?? []), t]);
    }
    for (const [s, list] of by) this.running.set(keyOf(cluster, s), { readAt, tasks: list });
  }

  /** The remembered RUNNING tasks of a service when no older than `maxAgeMs`. */
  runningTasks(cluster: string, service: string, maxAgeMs: number | undefined): EcsTask[] | undefined {
    return this.fresh(this.running.get(keyOf(cluster, service)), maxAgeMs)?.tasks;
  }

  /** A remembered RUNNING task of the cluster by ARN, when its listing is no older than `maxAgeMs`. */
  runningTask(cluster: string, arn: string, maxAgeMs: number | undefined): EcsTask | undefined {
    for (const [k, r] of this.running) {
      if (!k.startsWith(`${cluster}\0`) || !this.fresh(r, maxAgeMs)) continue;
      const t = r.tasks.find((x) => x.taskArn === arn);
      if (t) return t;
    }
    return undefined;
  }

  /** A write of this run touched the service: forget what is known about it and its tasks. */
  forget(cluster: string, service: string): void {
    this.services.delete(keyOf(cluster, service));
    this.running.delete(keyOf(cluster, service));
  }

  /** A write to a resource by ARN (tags): forget the service it names, if it is one. */
  forgetArn(arn: string): void {
    const m = /:service\/([^/]+)\/([^/]+)$/.exec(arn);
    if (m) for (const k of [...this.services.keys()]) if (k.endsWith(`\0${m[2]}`)) this.forget(k.split('\0')[0], m[2]);
  }
}

/** `port` reading through `cache` (see the rules above); every other call passes straight through. */
export function readThroughEcs(port: EcsPort, cache: LiveEcsCache): EcsPort {
  const now = () => cache.clock.now();
  return {
    ...port,
    async describeServices(cluster, names, read?: ReadOptions) {
      if (read?.maxAgeMs) {
        const known = names.map((n) => cache.service(cluster, n, read.maxAgeMs));
        if (known.every((k) => k !== undefined)) {
          return {
            services: known.filter((k) => k!.service).map((k) => k!.service!),
            failures: names.filter((_, i) => known[i]!.missing).map((n) => ({ arn: n, reason: 'MISSING' })),
          };
        }
      }
      const readAt = now();
      const answer = await port.describeServices(cluster, names);
      cache.putServices(cluster, names, answer, readAt);
      return answer;
    },
    async listTasks(cluster, service, desiredStatus, read?: ReadOptions) {
      const known = desiredStatus === 'RUNNING' ? cache.runningTasks(cluster, service, read?.maxAgeMs) : undefined;
      if (known) return known.map((t) => t.taskArn ?? '').filter(Boolean);
      return port.listTasks(cluster, service, desiredStatus);
    },
    async describeTasks(cluster, arns, read?: ReadOptions) {
      const known = read?.maxAgeMs && arns.length ? arns.map((a) => cache.runningTask(cluster, a, read.maxAgeMs)) : [];
      if (known.length && known.every((t) => t !== undefined)) return known as EcsTask[];
      return port.describeTasks(cluster, arns);
    },
    async createService(input) {
      cache.forget(input.cluster ?? '', input.serviceName ?? '');
      const s = await port.createService(input);
      cache.forget(input.cluster ?? '', input.serviceName ?? '');
      return s;
    },
    async updateService(input) {
      cache.forget(input.cluster ?? '', input.service ?? '');
      const s = await port.updateService(input);
      cache.forget(input.cluster ?? '', input.service ?? '');
      return s;
    },
    async tagResource(arn, tags) {
      cache.forgetArn(arn);
      await port.tagResource(arn, tags);
      cache.forgetArn(arn);
    },
    async untagResource(arn, keys) {
      cache.forgetArn(arn);
      await port.untagResource(arn, keys);
      cache.forgetArn(arn);
    },
  };
}
