import { AwsError } from './context.ts';

/** `GET /_sandbox/stats`: API calls per service and operation, registry requests per HTTP method. */
export interface Stats {
  ecs: Record<string, number>;
  ecr: Record<string, number>;
  logs: Record<string, number>;
  autoscaling: Record<string, number>;
  elbv2: Record<string, number>;
  registry: Record<string, number>;
}

/** `POST /_sandbox/faults` body. Every part is optional; posting adds to (replaces per key) the active faults. */
export interface FaultSpec {
  /** The next `count` calls of `operation` (ECS or ECR; `service` narrows it) fail with ThrottlingException. */
  throttle?: { operation: string; count: number; service?: 'ecs' | 'ecr' } | Array<{ operation: string; count: number; service?: 'ecs' | 'ecr' }>;
  /** The registry (through its public port) fails the next `requests` requests, or for `seconds` (whichever ends first); `drop` closes the socket instead of answering 503. */
  registryOutage?: { requests?: number; seconds?: number; drop?: boolean };
}

interface Throttle {
  service?: 'ecs' | 'ecr';
  operation: string;
  remaining: number;
}

/** Counters and injected faults shared by the API server and the registry proxy. */
export class Control {
  private counts: Stats = { ecs: {}, ecr: {}, logs: {}, autoscaling: {}, elbv2: {}, registry: {} };
  private throttles: Throttle[] = [];
  private outage: { remaining?: number; until?: number; drop: boolean } | undefined;

  count(kind: keyof Stats, key: string): void {
    const bucket = this.counts[kind];
    bucket[key] = (bucket[key] ?? 0) + 1;
  }

  stats(): Stats {
    return structuredClone(this.counts);
  }

  resetStats(): void {
    this.counts = { ecs: {}, ecr: {}, logs: {}, autoscaling: {}, elbv2: {}, registry: {} };
  }

  /** Validates and installs faults; throws AwsError('ValidationException') on a malformed spec. */
  setFaults(spec: FaultSpec): void {
    if (spec === null || typeof spec !== 'object') throw new AwsError('ValidationException', 'faults: expected a JSON object');
    const unknown = Object.keys(spec).filter((k) => k !== 'throttle' && k !== 'registryOutage');
    if (unknown.length) throw new AwsError('ValidationException', `faults: unknown fault(s) ${unknown.join(', ')}; known: throttle, registryOutage`);
    if (spec.throttle !== undefined) {
      for (const t of Array.isArray(spec.throttle) ? spec.throttle : [spec.throttle]) {
        if (!t || typeof t.operation !== 'string' || !Number.isInteger(t.count) || t.count < 1) {
          throw new AwsError('ValidationException', 'faults.throttle: expected {"operation": "<Op>", "count": <positive integer>, "service"?: "ecs"|"ecr"}');
        }
        if (t.service !== undefined && t.service !== 'ecs' && t.service !== 'ecr') throw new AwsError('ValidationException', 'faults.throttle.service must be "ecs" or "ecr"');
        this.throttles = this.throttles.filter((x) => !(x.operation === t.operation && x.service === t.service));
        this.throttles.push({ operation: t.operation, remaining: t.count, service: t.service });
      }
    }
    if (spec.registryOutage !== undefined) {
      const o = spec.registryOutage;
      const okReq = o?.requests === undefined || (Number.isInteger(o.requests) && o.requests > 0);
      const okSec = o?.seconds === undefined || (typeof o.seconds === 'number' && o.seconds > 0);
      if (!o || !okReq || !okSec || (o.requests === undefined && o.seconds === undefined)) {
        throw new AwsError('ValidationException', 'faults.registryOutage: expected {"requests": <positive integer>} or {"seconds": <positive number>}, optional "drop": true');
      }
      this.outage = {
        remaining: o.requests,
        until: o.seconds !== undefined ? Date.now() + o.seconds * 1000 : undefined,
        drop: o.drop === true,
      };
    }
  }

  clearFaults(): void {
    this.throttles = [];
    this.outage = undefined;
  }

  faults(): { throttle: Array<{ service?: string; operation: string; remaining: number }>; registryOutage?: { remaining?: number; secondsLeft?: number; drop: boolean } } {
    this.expireOutage();
    return {
      throttle: this.throttles.map((t) => ({ ...t })),
      ...(this.outage && {
        registryOutage: {
          remaining: this.outage.remaining,
          secondsLeft: this.outage.until !== undefined ? Math.max(0, (this.outage.until - Date.now()) / 1000) : undefined,
          drop: this.outage.drop,
        },
      }),
    };
  }

  /** Consumes one throttle slot for this call, if one is armed; the caller then fails the call. */
  takeThrottle(service: 'ecs' | 'ecr' | 'logs' | 'autoscaling' | 'elbv2', operation: string): boolean {
    const t = this.throttles.find((x) => x.operation === operation && (x.service === undefined || x.service === service));
    if (!t) return false;
    t.remaining--;
    if (t.remaining <= 0) this.throttles = this.throttles.filter((x) => x !== t);
    return true;
  }

  /** Consumes one outage slot for a registry request: undefined (serve it), '503' or 'drop'. */
  takeOutage(): '503' | 'drop' | undefined {
    this.expireOutage();
    const o = this.outage;
    if (!o) return undefined;
    if (o.remaining !== undefined) {
      o.remaining--;
      if (o.remaining <= 0) this.outage = undefined;
    }
    return o.drop ? 'drop' : '503';
  }

  private expireOutage(): void {
    const o = this.outage;
    if (!o) return;
    if (o.until !== undefined && Date.now() >= o.until) this.outage = undefined;
    else if (o.remaining !== undefined && o.remaining <= 0) this.outage = undefined;
  }
}
