/**
 * The sandbox's Elastic Load Balancing v2 part: the subset a service behind an Application Load
 * Balancer needs (CreateLoadBalancer, CreateTargetGroup, CreateListener, Describe*, DescribeTargetHealth,
 * Modify*Attributes, ModifyTargetGroup, Register/DeregisterTargets, Delete*), over a persisted state
 * (`<dataDir>/state/elbv2.json`). Shapes and error codes: libs/ferry/core/models/elbv2.json (AWS's
 * service-2.json); the wire is the Query protocol (query-protocol.ts).
 *
 * Each listener is a real HTTP server on 127.0.0.1:<Port> (every sandbox load balancer's DNS name is
 * `127.0.0.1`, so listener ports are unique across the sandbox's load balancers) forwarding to the
 * target group's `healthy` targets only. Targets are health-checked with the target group's settings
 * (path, matcher, interval, timeout, thresholds); a deregistered target is `draining` for the target
 * group's `deregistration_delay.timeout_seconds`. The ECS part registers and deregisters its tasks
 * through `ElbPort` and hears of their health from it.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { SandboxContext, SandboxService } from '../context.ts';
import { AwsError } from '../context.ts';
import { LoadBalancers, type Target } from '../ecs/lb.ts';
import { validatedOperations } from '../model-validation.ts';
import { afterProbe, matches, registered, type Probe, type TargetHealthRecord } from './health.ts';

export interface LoadBalancerRecord {
  arn: string;
  name: string;
  dnsName: string;
  scheme: string;
  type: string;
  ipAddressType: string;
  subnets: string[];
  securityGroups: string[];
  createdTime: string;
  attributes: Record<string, string>;
  tags: { Key: string; Value?: string }[];
}

export interface HealthCheckSettings {
  protocol: string;
  port: string;
  enabled: boolean;
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  httpCode: string;
}

export interface TargetGroupRecord {
  arn: string;
  name: string;
  protocol: string;
  port?: number;
  vpcId?: string;
  targetType: string;
  healthCheck: HealthCheckSettings;
  attributes: Record<string, string>;
  tags: { Key: string; Value?: string }[];
  /** Registered targets (`<id>:<port>` → target and its last settled state, which a restarted sandbox resumes from). */
  targets: Record<string, { id: string; port: number; state?: 'healthy' | 'unhealthy' }>;
}

export interface ListenerRecord {
  arn: string;
  loadBalancerArn: string;
  port: number;
  protocol: string;
  defaultActions: Record<string, unknown>[];
}

export interface Elbv2State {
  loadBalancers: Record<string, LoadBalancerRecord>;
  targetGroups: Record<string, TargetGroupRecord>;
  listeners: Record<string, ListenerRecord>;
}

/** A target as the ECS part registers a task: the loopback address and the task's port. */
export interface TargetRef {
  id: string;
  port: number;
}

/** What the ECS part uses: the target groups its services name, registration, drain and health. */
export interface ElbPort {
  /** The target group, when it exists. */
  targetGroup(arn: string): TargetGroupRecord | undefined;
  /** The load balancers whose listeners forward to the target group. */
  loadBalancersOf(targetGroupArn: string): LoadBalancerRecord[];
  /** `http://<DNS name>:<port>` of the first listener forwarding to the target group. */
  url(targetGroupArn: string): string | undefined;
  register(targetGroupArn: string, target: TargetRef): void;
  /** The target drains (no new requests) for the deregistration delay, then leaves the group; resolves then. */
  deregister(targetGroupArn: string, target: TargetRef): Promise<void>;
  /** Called on every health probe of a registered target whose state is not `initial`. */
  onHealth(cb: (targetGroupArn: string, target: TargetRef, health: { state: string; reason?: string; description?: string }) => void): void;
}

export const ELBV2_NAMESPACE = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';

/** Target group attributes of an Application Load Balancer's HTTP target group and their defaults (AWS docs, target group attributes). */
const TG_ATTRIBUTES: Record<string, string> = {
  'deregistration_delay.timeout_seconds': '300',
  'stickiness.enabled': 'false',
  'stickiness.type': 'lb_cookie',
  'stickiness.lb_cookie.duration_seconds': '86400',
  'load_balancing.algorithm.type': 'round_robin',
  'slow_start.duration_seconds': '0',
  'load_balancing.cross_zone.enabled': 'use_load_balancer_configuration',
};
const LB_ATTRIBUTES: Record<string, string> = {
  'idle_timeout.timeout_seconds': '60',
  'deletion_protection.enabled': 'false',
  'routing.http2.enabled': 'true',
  'access_logs.s3.enabled': 'false',
  'routing.http.drop_invalid_header_fields.enabled': 'false',
};

const err = (code: string, message: string) => new AwsError(code, message);
const NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;
const id16 = () => randomBytes(8).toString('hex');
const targetKey = (t: TargetRef) => `${t.id}:${t.port}`;

export function createElbv2Service(ctx: Pick<SandboxContext, 'state' | 'region' | 'accountId' | 'log'>): SandboxService & { port: ElbPort } {
  const store = ctx.state<Elbv2State>('elbv2', { loadBalancers: {}, targetGroups: {}, listeners: {} });
  const st = () => store.get();
  const arnBase = `arn:aws:elasticloadbalancing:${ctx.region}:${ctx.accountId}`;
  /** Target group ARN → target key → health (in memory). */
  const health = new Map<string, Map<string, TargetHealthRecord>>();
  const timers = new Map<string, NodeJS.Timeout>();
  const drainTimers = new Map<string, { timer: NodeJS.Timeout; done: () => void }>();
  const healthListeners: Parameters<ElbPort['onHealth']>[0][] = [];
  let running = false;

  const healthOf = (tg: string) => {
    let m = health.get(tg);
    if (!m) health.set(tg, (m = new Map()));
    return m;
  };
  const forwardTargetGroups = (l: ListenerRecord): string[] =>
    l.defaultActions.flatMap((a) => {
      if (a.Type !== 'forward') return [];
      const tgs = ((a.ForwardConfig as { TargetGroups?: { TargetGroupArn: string }[] } | undefined)?.TargetGroups ?? []).map((t) => t.TargetGroupArn);
      return a.TargetGroupArn ? [a.TargetGroupArn as string, ...tgs] : tgs;
    });
  const loadBalancersOf = (tgArn: string) => {
    const lbArns = new Set(Object.values(st().listeners).filter((l) => forwardTargetGroups(l).includes(tgArn)).map((l) => l.loadBalancerArn));
    return [...lbArns].map((a) => st().loadBalancers[a]).filter(Boolean);
  };

  // ---- listeners: one loopback HTTP server each --------------------------------------------------
  const servers = new LoadBalancers((listenerArn) => routable(listenerArn), ctx.log);
  function routable(listenerArn: string): Target[] {
    const l = st().listeners[listenerArn];
    const tgArn = l ? forwardTargetGroups(l)[0] : undefined;
    const tg = tgArn ? st().targetGroups[tgArn] : undefined;
    if (!tg) return [];
    const h = healthOf(tg.arn);
    return Object.values(tg.targets)
      .filter((t) => h.get(targetKey(t))?.state === 'healthy' || (!tg.healthCheck.enabled && h.get(targetKey(t))?.state !== 'draining'))
      .map((t) => ({ taskId: `${tg.arn}|${targetKey(t)}`, port: t.port }));
  }
  async function openListener(l: ListenerRecord): Promise<void> {
    try {
      await servers.open(l.arn, l.port);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw err(
        'InvalidConfigurationRequest',
        code === 'EADDRINUSE' || code === 'EACCES'
          ? `The ferry sandbox serves every listener on 127.0.0.1 and port ${l.port} cannot be bound there (${code}); choose another Port.`
          : `The listener on 127.0.0.1:${l.port} failed to open: ${(e as Error).message}`,
      );
    }
  }

  // ---- health checks ------------------------------------------------------------------------------
  function probe(tg: TargetGroupRecord, t: TargetRef): Promise<Probe> {
    const hc = tg.healthCheck;
    const port = hc.port === 'traffic-port' ? t.port : Number(hc.port);
    return new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: hc.path, timeout: hc.timeoutSeconds * 1000, agent: false, headers: { 'user-agent': 'ELB-HealthChecker/2.0' } }, (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        resolve(matches(hc.httpCode, status) ? { ok: true } : { ok: false, reason: 'Target.ResponseCodeMismatch', description: `Health checks failed with these codes: [${status}]` });
      });
      req.on('timeout', () => {
        req.destroy();
        resolve({ ok: false, reason: 'Target.Timeout', description: 'Request timed out' });
      });
      // The sandbox names the port: usually the app does not listen on the PORT it was given.
      req.on('error', (e: NodeJS.ErrnoException) =>
        resolve({ ok: false, reason: 'Target.FailedHealthChecks', description: `Health checks failed: ${e.code === 'ECONNREFUSED' ? `nothing listens on 127.0.0.1:${port} (the task's PORT)` : (e.code ?? e.message)}` }),
      );
    });
  }
  function schedule(tgArn: string, t: TargetRef, delayMs: number): void {
    const key = `${tgArn}|${targetKey(t)}`;
    clearTimeout(timers.get(key));
    if (!running) return;
    const timer = setTimeout(async () => {
      const tg = st().targetGroups[tgArn];
      const h = healthOf(tgArn);
      const current = h.get(targetKey(t));
      if (!tg || !tg.targets[targetKey(t)] || !current || current.state === 'draining') return void timers.delete(key);
      if (!tg.healthCheck.enabled) return void timers.delete(key);
      if (loadBalancersOf(tgArn).length === 0) {
        h.set(targetKey(t), { state: 'unused', reason: 'Target.NotInUse', description: 'Target group is not configured to receive traffic from the load balancer', passes: 0, failures: 0 });
      } else {
        const result = await probe(tg, t);
        const now = h.get(targetKey(t));
        if (!now || now.state === 'draining' || !st().targetGroups[tgArn]?.targets[targetKey(t)]) return void timers.delete(key);
        const base = now.state === 'unused' ? registered() : now;
        const next = afterProbe(base, result, { healthy: tg.healthCheck.healthyThreshold, unhealthy: tg.healthCheck.unhealthyThreshold });
        h.set(targetKey(t), next);
        const rec = tg.targets[targetKey(t)];
        if ((next.state === 'healthy' || next.state === 'unhealthy') && rec.state !== next.state) store.update(() => (rec.state = next.state as 'healthy' | 'unhealthy'));
        if (next.state !== 'initial') for (const cb of healthListeners) cb(tgArn, t, { state: next.state, reason: next.reason, description: next.description });
      }
      schedule(tgArn, t, tg.healthCheck.intervalSeconds * 1000);
    }, delayMs);
    timer.unref();
    timers.set(key, timer);
  }
  function registerTarget(tg: TargetGroupRecord, t: TargetRef, resume = false): void {
    const key = targetKey(t);
    const drain = drainTimers.get(`${tg.arn}|${key}`);
    if (drain) {
      clearTimeout(drain.timer);
      drainTimers.delete(`${tg.arn}|${key}`);
      drain.done();
    }
    if (!tg.targets[key]) store.update(() => (tg.targets[key] = { id: t.id, port: t.port }));
    const h = healthOf(tg.arn);
    if (h.get(key)?.state === 'draining' || !h.has(key)) {
      const last = resume ? tg.targets[key].state : undefined;
      if (!resume) store.update(() => delete tg.targets[key].state);
      h.set(
        key,
        !tg.healthCheck.enabled
          ? { state: 'unavailable', reason: 'Target.HealthCheckDisabled', description: 'Health checks are disabled', passes: 0, failures: 0 }
          : last === 'healthy'
            ? { state: 'healthy', passes: tg.healthCheck.healthyThreshold, failures: 0 }
            : registered(),
      );
      // The first health check goes out as the target registers.
      schedule(tg.arn, t, 0);
    }
  }
  function deregisterTarget(tg: TargetGroupRecord, t: TargetRef): Promise<void> {
    const key = targetKey(t);
    if (!tg.targets[key]) return Promise.resolve();
    const h = healthOf(tg.arn);
    const existing = drainTimers.get(`${tg.arn}|${key}`);
    if (existing) return new Promise((resolve) => {
      const prev = existing.done;
      existing.done = () => (prev(), resolve());
    });
    h.set(key, { state: 'draining', reason: 'Target.DeregistrationInProgress', description: 'Target deregistration is in progress', passes: 0, failures: 0 });
    const delayS = Number(tg.attributes['deregistration_delay.timeout_seconds'] ?? 300);
    return new Promise((resolve) => {
      const entry = {
        done: () => resolve(),
        timer: setTimeout(() => {
          drainTimers.delete(`${tg.arn}|${key}`);
          store.update(() => delete tg.targets[key]);
          h.delete(key);
          entry.done();
        }, delayS * 1000),
      };
      entry.timer.unref();
      drainTimers.set(`${tg.arn}|${key}`, entry);
    });
  }

  // ---- views ----------------------------------------------------------------------------------------
  const lbView = (lb: LoadBalancerRecord) => ({
    LoadBalancerArn: lb.arn,
    DNSName: lb.dnsName,
    CanonicalHostedZoneId: 'Z35SXDOTRQ7X7K',
    CreatedTime: lb.createdTime,
    LoadBalancerName: lb.name,
    Scheme: lb.scheme,
    VpcId: 'vpc-sandbox',
    State: { Code: 'active' },
    Type: lb.type,
    AvailabilityZones: lb.subnets.map((s, i) => ({ ZoneName: `${ctx.region}${'abcdef'[i % 6]}`, SubnetId: s })),
    SecurityGroups: lb.securityGroups,
    IpAddressType: lb.ipAddressType,
  });
  const tgView = (tg: TargetGroupRecord) => ({
    TargetGroupArn: tg.arn,
    TargetGroupName: tg.name,
    Protocol: tg.protocol,
    Port: tg.port,
    VpcId: tg.vpcId,
    HealthCheckProtocol: tg.healthCheck.protocol,
    HealthCheckPort: tg.healthCheck.port,
    HealthCheckEnabled: tg.healthCheck.enabled,
    HealthCheckIntervalSeconds: tg.healthCheck.intervalSeconds,
    HealthCheckTimeoutSeconds: tg.healthCheck.timeoutSeconds,
    HealthyThresholdCount: tg.healthCheck.healthyThreshold,
    UnhealthyThresholdCount: tg.healthCheck.unhealthyThreshold,
    HealthCheckPath: tg.healthCheck.path,
    Matcher: { HttpCode: tg.healthCheck.httpCode },
    LoadBalancerArns: loadBalancersOf(tg.arn).map((l) => l.arn),
    TargetType: tg.targetType,
    ProtocolVersion: 'HTTP1',
    IpAddressType: 'ipv4',
  });
  const listenerView = (l: ListenerRecord) => ({ ListenerArn: l.arn, LoadBalancerArn: l.loadBalancerArn, Port: l.port, Protocol: l.protocol, DefaultActions: l.defaultActions });
  const attributesView = (a: Record<string, string>) => Object.entries(a).map(([Key, Value]) => ({ Key, Value }));

  const getLb = (arn: unknown) => {
    const lb = typeof arn === 'string' ? st().loadBalancers[arn] : undefined;
    if (!lb) throw err('LoadBalancerNotFound', 'One or more load balancers not found');
    return lb;
  };
  const getTg = (arn: unknown) => {
    const tg = typeof arn === 'string' ? st().targetGroups[arn] : undefined;
    if (!tg) throw err('TargetGroupNotFound', 'One or more target groups not found');
    return tg;
  };
  const page = <T>(items: T[], marker: unknown, pageSize: unknown) => {
    const start = Number(marker ?? 0) || 0;
    const size = Number(pageSize ?? 400) || 400;
    const slice = items.slice(start, start + size);
    return { slice, ...(start + size < items.length && { NextMarker: String(start + size) }) };
  };
  const modifyAttributes = (current: Record<string, string>, known: Record<string, string>, input: { Key?: string; Value?: string }[]) => {
    const next = { ...current };
    for (const { Key, Value } of input) {
      if (!Key || !Object.hasOwn(known, Key)) throw err('ValidationError', `Attribute key '${Key ?? ''}' is not recognized`);
      if (Key.endsWith('_seconds')) {
        const n = Number(Value);
        const max = Key === 'deregistration_delay.timeout_seconds' ? 3600 : Key === 'idle_timeout.timeout_seconds' ? 4000 : Key === 'slow_start.duration_seconds' ? 900 : 604800;
        if (!/^\d+$/.test(Value ?? '') || n > max) throw err('ValidationError', `'${Key}' must be an integer between 0 and ${max}`);
      } else if (Key.endsWith('.enabled') && Value !== 'true' && Value !== 'false' && Key !== 'load_balancing.cross_zone.enabled') {
        throw err('ValidationError', `'${Key}' must be 'true' or 'false'`);
      }
      next[Key] = Value ?? '';
    }
    return next;
  };
  const checkActions = (actions: Record<string, unknown>[]) => {
    for (const a of actions) {
      if (a.Type !== 'forward') throw err('InvalidLoadBalancerAction', `The ferry sandbox supports 'forward' actions only, not '${String(a.Type)}'`);
    }
    const tgs = actions.flatMap((a) => forwardTargetGroups({ defaultActions: [a] } as ListenerRecord));
    if (tgs.length === 0) throw err('ValidationError', 'A forward action must name a target group');
    for (const tg of tgs) getTg(tg);
    return actions;
  };
  const settings = (i: Record<string, any>, base?: HealthCheckSettings): HealthCheckSettings => {
    const hc: HealthCheckSettings = {
      protocol: i.HealthCheckProtocol ?? base?.protocol ?? 'HTTP',
      port: i.HealthCheckPort ?? base?.port ?? 'traffic-port',
      enabled: i.HealthCheckEnabled ?? base?.enabled ?? true,
      path: i.HealthCheckPath ?? base?.path ?? '/',
      intervalSeconds: i.HealthCheckIntervalSeconds ?? base?.intervalSeconds ?? 30,
      timeoutSeconds: i.HealthCheckTimeoutSeconds ?? base?.timeoutSeconds ?? 5,
      healthyThreshold: i.HealthyThresholdCount ?? base?.healthyThreshold ?? 5,
      unhealthyThreshold: i.UnhealthyThresholdCount ?? base?.unhealthyThreshold ?? 2,
      httpCode: i.Matcher?.HttpCode ?? base?.httpCode ?? '200',
    };
    if (hc.timeoutSeconds >= hc.intervalSeconds) throw err('ValidationError', 'Health check timeout must be smaller than the interval');
    if (!/^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/.test(hc.httpCode)) throw err('ValidationError', `Health check matcher HTTP code '${hc.httpCode}' must be a list of codes or ranges between 200 and 499`);
    if (hc.port !== 'traffic-port' && !/^\d+$/.test(hc.port)) throw err('ValidationError', `Health check port '${hc.port}' must be 'traffic-port' or a port number`);
    return hc;
  };

  const handlers: SandboxService['handlers'] = {
    CreateLoadBalancer(i) {
      const name = String(i.Name);
      if (!NAME_RE.test(name) || name.startsWith('internal-')) throw err('ValidationError', `The load balancer name '${name}' must have at most 32 alphanumeric characters or hyphens, and must not begin or end with a hyphen`);
      if ((i.Type ?? 'application') !== 'application') throw err('InvalidConfigurationRequest', 'The ferry sandbox supports Application Load Balancers only');
      const existing = Object.values(st().loadBalancers).find((l) => l.name === name);
      if (existing) {
        // CreateLoadBalancer is idempotent for the same settings (API reference, CreateLoadBalancer).
        return { LoadBalancers: [lbView(existing)] };
      }
      const lb: LoadBalancerRecord = {
        arn: `${arnBase}:loadbalancer/app/${name}/${id16()}`,
        name,
        dnsName: '127.0.0.1',
        scheme: i.Scheme ?? 'internet-facing',
        type: 'application',
        ipAddressType: i.IpAddressType ?? 'ipv4',
        subnets: i.Subnets ?? (i.SubnetMappings ?? []).map((m: { SubnetId: string }) => m.SubnetId),
        securityGroups: i.SecurityGroups ?? [],
        createdTime: new Date().toISOString(),
        attributes: { ...LB_ATTRIBUTES },
        tags: i.Tags ?? [],
      };
      store.update((s) => (s.loadBalancers[lb.arn] = lb));
      return { LoadBalancers: [lbView(lb)] };
    },
    DescribeLoadBalancers(i) {
      let all = Object.values(st().loadBalancers);
      if (i.LoadBalancerArns?.length) all = (i.LoadBalancerArns as string[]).map(getLb);
      if (i.Names?.length) {
        all = (i.Names as string[]).map((n) => {
          const lb = Object.values(st().loadBalancers).find((l) => l.name === n);
          if (!lb) throw err('LoadBalancerNotFound', `Load balancers '[${n}]' not found`);
          return lb;
        });
      }
      const { slice, NextMarker } = page(all, i.Marker, i.PageSize);
      return { LoadBalancers: slice.map(lbView), NextMarker };
    },
    DeleteLoadBalancer(i) {
      const lb = st().loadBalancers[i.LoadBalancerArn];
      if (!lb) return {};
      if (lb.attributes['deletion_protection.enabled'] === 'true') throw err('OperationNotPermitted', `Load balancer '${lb.arn}' cannot be deleted because deletion protection is enabled`);
      for (const l of Object.values(st().listeners).filter((x) => x.loadBalancerArn === lb.arn)) {
        void servers.close(l.arn);
        store.update((s) => delete s.listeners[l.arn]);
      }
      store.update((s) => delete s.loadBalancers[lb.arn]);
      return {};
    },
    DescribeLoadBalancerAttributes(i) {
      return { Attributes: attributesView(getLb(i.LoadBalancerArn).attributes) };
    },
    ModifyLoadBalancerAttributes(i) {
      const lb = getLb(i.LoadBalancerArn);
      const next = modifyAttributes(lb.attributes, LB_ATTRIBUTES, i.Attributes ?? []);
      store.update(() => (lb.attributes = next));
      return { Attributes: attributesView(lb.attributes) };
    },

    CreateTargetGroup(i) {
      const name = String(i.Name);
      if (!NAME_RE.test(name)) throw err('ValidationError', `Target group name '${name}' must have at most 32 alphanumeric characters or hyphens, and must not begin or end with a hyphen`);
      const protocol = i.Protocol ?? 'HTTP';
      if (protocol !== 'HTTP') throw err('InvalidConfigurationRequest', `The ferry sandbox supports HTTP target groups only, not ${protocol}`);
      const targetType = i.TargetType ?? 'instance';
      if (targetType !== 'ip' && targetType !== 'instance') throw err('InvalidConfigurationRequest', `The ferry sandbox supports target types ip and instance, not ${targetType}`);
      if (i.Port === undefined || i.VpcId === undefined) throw err('ValidationError', 'A port and a VPC ID must be specified for a target group of type ip or instance');
      const healthCheck = settings(i);
      const existing = Object.values(st().targetGroups).find((t) => t.name === name);
      if (existing) {
        const same = existing.port === i.Port && existing.protocol === protocol && JSON.stringify(existing.healthCheck) === JSON.stringify(healthCheck);
        if (!same) throw err('DuplicateTargetGroupName', 'A target group with the same name exists, but with different settings');
        return { TargetGroups: [tgView(existing)] };
      }
      const tg: TargetGroupRecord = {
        arn: `${arnBase}:targetgroup/${name}/${id16()}`,
        name,
        protocol,
        port: i.Port,
        vpcId: i.VpcId,
        targetType,
        healthCheck,
        attributes: { ...TG_ATTRIBUTES },
        tags: i.Tags ?? [],
        targets: {},
      };
      store.update((s) => (s.targetGroups[tg.arn] = tg));
      return { TargetGroups: [tgView(tg)] };
    },
    DescribeTargetGroups(i) {
      let all = Object.values(st().targetGroups);
      if (i.LoadBalancerArn) {
        getLb(i.LoadBalancerArn);
        all = all.filter((tg) => loadBalancersOf(tg.arn).some((l) => l.arn === i.LoadBalancerArn));
      }
      if (i.TargetGroupArns?.length) all = (i.TargetGroupArns as string[]).map(getTg);
      if (i.Names?.length) {
        all = (i.Names as string[]).map((n) => {
          const tg = Object.values(st().targetGroups).find((t) => t.name === n);
          if (!tg) throw err('TargetGroupNotFound', `Target groups '[${n}]' not found`);
          return tg;
        });
      }
      const { slice, NextMarker } = page(all, i.Marker, i.PageSize);
      return { TargetGroups: slice.map(tgView), NextMarker };
    },
    ModifyTargetGroup(i) {
      const tg = getTg(i.TargetGroupArn);
      const hc = settings(i, tg.healthCheck);
      store.update(() => (tg.healthCheck = hc));
      return { TargetGroups: [tgView(tg)] };
    },
    DeleteTargetGroup(i) {
      const tg = st().targetGroups[i.TargetGroupArn];
      if (!tg) return {};
      const using = Object.values(st().listeners).find((l) => forwardTargetGroups(l).includes(tg.arn));
      if (using) throw err('ResourceInUse', `Target group '${tg.arn}' is currently in use by a listener or a rule`);
      store.update((s) => delete s.targetGroups[tg.arn]);
      health.delete(tg.arn);
      return {};
    },
    DescribeTargetGroupAttributes(i) {
      return { Attributes: attributesView(getTg(i.TargetGroupArn).attributes) };
    },
    ModifyTargetGroupAttributes(i) {
      const tg = getTg(i.TargetGroupArn);
      const next = modifyAttributes(tg.attributes, TG_ATTRIBUTES, i.Attributes ?? []);
      store.update(() => (tg.attributes = next));
      return { Attributes: attributesView(tg.attributes) };
    },
    RegisterTargets(i) {
      const tg = getTg(i.TargetGroupArn);
      for (const t of i.Targets as { Id: string; Port?: number }[]) registerTarget(tg, { id: t.Id, port: t.Port ?? tg.port! });
      return {};
    },
    DeregisterTargets(i) {
      const tg = getTg(i.TargetGroupArn);
      for (const t of i.Targets as { Id: string; Port?: number }[]) {
        const ref = { id: t.Id, port: t.Port ?? tg.port! };
        if (!tg.targets[targetKey(ref)]) throw err('InvalidTarget', `The target '${t.Id}' is not registered in target group '${tg.arn}'`);
        void deregisterTarget(tg, ref);
      }
      return {};
    },
    DescribeTargetHealth(i) {
      const tg = getTg(i.TargetGroupArn);
      const h = healthOf(tg.arn);
      const wanted: TargetRef[] = i.Targets?.length ? (i.Targets as { Id: string; Port?: number }[]).map((t) => ({ id: t.Id, port: t.Port ?? tg.port! })) : Object.values(tg.targets);
      return {
        TargetHealthDescriptions: wanted.map((t) => {
          const rec = tg.targets[targetKey(t)] ? h.get(targetKey(t)) : undefined;
          const th = rec ?? (tg.targets[targetKey(t)] ? registered() : { state: 'unused', reason: 'Target.NotRegistered', description: 'Target is not registered to the target group' });
          return {
            Target: { Id: t.id, Port: t.port },
            HealthCheckPort: tg.healthCheck.port === 'traffic-port' ? String(t.port) : tg.healthCheck.port,
            TargetHealth: { State: th.state, Reason: th.reason, Description: th.description },
          };
        }),
      };
    },

    async CreateListener(i) {
      const lb = getLb(i.LoadBalancerArn);
      const protocol = i.Protocol ?? 'HTTP';
      if (protocol !== 'HTTP') throw err('UnsupportedProtocol', `The ferry sandbox serves HTTP listeners only, not ${protocol}`);
      const port = i.Port ?? 80;
      const actions = checkActions(i.DefaultActions);
      const same = Object.values(st().listeners).find((l) => l.loadBalancerArn === lb.arn && l.port === port);
      if (same) {
        if (JSON.stringify(same.defaultActions) === JSON.stringify(actions)) return { Listeners: [listenerView(same)] };
        throw err('DuplicateListener', 'A listener already exists on this port for this load balancer');
      }
      const l: ListenerRecord = { arn: `${arnBase}:listener/app/${lb.name}/${lb.arn.split('/').pop()}/${id16()}`, loadBalancerArn: lb.arn, port, protocol, defaultActions: actions };
      await openListener(l);
      store.update((s) => (s.listeners[l.arn] = l));
      // Targets registered before the group had a load balancer start being checked now.
      for (const tgArn of forwardTargetGroups(l)) for (const t of Object.values(st().targetGroups[tgArn]?.targets ?? {})) schedule(tgArn, t, 0);
      return { Listeners: [listenerView(l)] };
    },
    DescribeListeners(i) {
      if (!i.LoadBalancerArn && !i.ListenerArns?.length) throw err('ValidationError', 'You must specify either listener ARNs or a load balancer ARN');
      let all = Object.values(st().listeners);
      if (i.LoadBalancerArn) {
        getLb(i.LoadBalancerArn);
        all = all.filter((l) => l.loadBalancerArn === i.LoadBalancerArn);
      }
      if (i.ListenerArns?.length) {
        all = (i.ListenerArns as string[]).map((a) => {
          const l = st().listeners[a];
          if (!l) throw err('ListenerNotFound', 'One or more listeners not found');
          return l;
        });
      }
      const { slice, NextMarker } = page(all, i.Marker, i.PageSize);
      return { Listeners: slice.map(listenerView), NextMarker };
    },
    async DeleteListener(i) {
      const l = st().listeners[i.ListenerArn];
      if (!l) throw err('ListenerNotFound', 'One or more listeners not found');
      await servers.close(l.arn);
      store.update((s) => delete s.listeners[l.arn]);
      return {};
    },
  };

  const port: ElbPort = {
    targetGroup: (arn) => st().targetGroups[arn],
    loadBalancersOf,
    url(tgArn) {
      const l = Object.values(st().listeners).find((x) => forwardTargetGroups(x).includes(tgArn));
      const lb = l ? st().loadBalancers[l.loadBalancerArn] : undefined;
      return l && lb ? `http://${lb.dnsName}:${l.port}` : undefined;
    },
    register(tgArn, t) {
      const tg = st().targetGroups[tgArn];
      if (tg) registerTarget(tg, t);
    },
    deregister(tgArn, t) {
      const tg = st().targetGroups[tgArn];
      return tg ? deregisterTarget(tg, t) : Promise.resolve();
    },
    onHealth(cb) {
      healthListeners.push(cb);
    },
  };

  return {
    handlers: validatedOperations('elbv2', handlers),
    port,
    async start() {
      running = true;
      for (const l of Object.values(st().listeners)) await openListener(l).catch((e) => ctx.log(`elbv2: ${(e as Error).message}`));
      // Registered targets resume from their last settled state (a healthy target keeps serving) and are checked again.
      for (const tg of Object.values(st().targetGroups)) for (const t of Object.values(tg.targets)) registerTarget(tg, t, true);
    },
    async stop() {
      running = false;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      for (const d of drainTimers.values()) {
        clearTimeout(d.timer);
        d.done();
      }
      drainTimers.clear();
      await servers.closeAll();
    },
    info: () => ({
      loadBalancers: Object.fromEntries(
        Object.values(st().listeners).map((l) => [l.arn, `http://${st().loadBalancers[l.loadBalancerArn]?.dnsName ?? '127.0.0.1'}:${l.port}`]),
      ),
    }),
  };
}
