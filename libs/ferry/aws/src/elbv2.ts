/**
 * Elastic Load Balancing v2 as ferry uses it: a narrow port over ElasticLoadBalancingV2Client.
 * deploy-app reads the timing of a service's target group (health checks, deregistration delay) for
 * its rollout timeout and the target group's URL (its load balancer's DNS name and the listener
 * forwarding to it); health-check reads target health; in the sandbox environment ferry provisions a
 * load balancer, target group and listener per app through the same API.
 *
 * Reads are cached per port (one per environment and run: AwsClientPool), so a run asks about a
 * target group once however many steps need it.
 */
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ModifyTargetGroupAttributesCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { attempt, awsErrorName } from './errors.ts';

/** A target group's health-check settings and deregistration delay: what a rollout waits for. */
export interface TargetGroupTiming {
  targetGroupArn: string;
  name: string;
  healthCheckPath: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  deregistrationDelaySeconds: number;
}

/** One registered target and its state (`initial`, `healthy`, `unhealthy`, `draining`, …). */
export interface TargetHealthRow {
  id: string;
  port?: number;
  state: string;
  reason?: string;
  description?: string;
}

/** What ferry provisions for an app in the sandbox: one ALB, one target group, one listener. */
export interface ProvisionSpec {
  /** Load balancer and target group name (≤ 32 characters, letters, digits, hyphens). */
  name: string;
  /** The listener's port (the sandbox serves listeners on 127.0.0.1). */
  listenerPort: () => Promise<number>;
  targetPort: number;
  healthCheckPath: string;
  /** Matcher HttpCode, e.g. `200` or `200-499`. */
  matcher: string;
  healthCheck: { intervalSeconds: number; timeoutSeconds: number; healthyThreshold: number; unhealthyThreshold: number };
  deregistrationDelaySeconds: number;
  subnets: string[];
  vpcId: string;
}

/** What a target group is: its port and protocol, and the load balancers that forward to it. */
export interface TargetGroupFacts {
  targetGroupArn: string;
  name: string;
  port?: number;
  protocol?: string;
  targetType?: string;
  loadBalancerArns: string[];
}

export interface ElbPort {
  /** DescribeTargetGroups of one ARN; null when ELBv2 says it does not exist (TargetGroupNotFound). */
  describeTargetGroup(targetGroupArn: string): Promise<TargetGroupFacts | null>;
  /** Health-check settings and deregistration delay of a target group (cached). */
  timing(targetGroupArn: string): Promise<TargetGroupTiming>;
  /** `http://<DNS name>:<port>` of the listener forwarding to the target group; undefined when none does (cached). */
  url(targetGroupArn: string): Promise<string | undefined>;
  /** DescribeTargetHealth (never cached). */
  targetHealth(targetGroupArn: string): Promise<TargetHealthRow[]>;
  /** The target group named `name`, if it exists. */
  findTargetGroup(name: string): Promise<string | undefined>;
  /** Creates the load balancer, target group (with its settings) and listener when missing; returns the target group's ARN. */
  provision(spec: ProvisionSpec): Promise<{ targetGroupArn: string; created: boolean }>;
}

export function elbPort(client: ElasticLoadBalancingV2Client): ElbPort {
  const timings = new Map<string, Promise<TargetGroupTiming>>();
  const urls = new Map<string, Promise<string | undefined>>();
  const cached = <T>(m: Map<string, Promise<T>>, key: string, load: () => Promise<T>) => {
    let p = m.get(key);
    if (!p) {
      p = load();
      m.set(key, p);
      p.catch(() => m.delete(key));
    }
    return p;
  };
  const describeTg = (arn: string) =>
    attempt(`describe the target group ${arn} (elasticloadbalancing:DescribeTargetGroups)`, async () => {
      const tg = (await client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] }))).TargetGroups?.[0];
      if (!tg) throw new Error(`target group ${arn} not found`);
      return tg;
    });

  const port: ElbPort = {
    describeTargetGroup: (arn) =>
      attempt(`describe the target group ${arn} (elasticloadbalancing:DescribeTargetGroups)`, async () => {
        try {
          const tg = (await client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] }))).TargetGroups?.[0];
          if (!tg) return null;
          return {
            targetGroupArn: tg.TargetGroupArn ?? arn,
            name: tg.TargetGroupName ?? arn,
            ...(tg.Port !== undefined && { port: tg.Port }),
            ...(tg.Protocol && { protocol: tg.Protocol }),
            ...(tg.TargetType && { targetType: tg.TargetType }),
            loadBalancerArns: tg.LoadBalancerArns ?? [],
          };
        } catch (e) {
          // The Query API's error code is `TargetGroupNotFound` (SDK: TargetGroupNotFoundException).
          if (awsErrorName(e) === 'TargetGroupNotFoundException' || awsErrorName(e) === 'TargetGroupNotFound') return null;
          throw e;
        }
      }),
    timing: (arn) =>
      cached(timings, arn, async () => {
        const tg = await describeTg(arn);
        const attrs = await attempt(`read the attributes of the target group ${arn} (elasticloadbalancing:DescribeTargetGroupAttributes)`, () =>
          client.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn })),
        );
        const delay = attrs.Attributes?.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value;
        return {
          targetGroupArn: arn,
          name: tg.TargetGroupName ?? arn,
          healthCheckPath: tg.HealthCheckPath ?? '/',
          // The documented ALB defaults when a field is absent (CreateTargetGroup, API reference).
          intervalSeconds: tg.HealthCheckIntervalSeconds ?? 30,
          timeoutSeconds: tg.HealthCheckTimeoutSeconds ?? 5,
          healthyThreshold: tg.HealthyThresholdCount ?? 5,
          unhealthyThreshold: tg.UnhealthyThresholdCount ?? 2,
          deregistrationDelaySeconds: delay !== undefined ? Number(delay) : 300,
        };
      }),
    url: (arn) =>
      cached(urls, arn, async () => {
        const tg = await describeTg(arn);
        for (const lbArn of tg.LoadBalancerArns ?? []) {
          const lb = (await attempt(`describe the load balancer ${lbArn} (elasticloadbalancing:DescribeLoadBalancers)`, () => client.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [lbArn] })))).LoadBalancers?.[0];
          const listeners = (await attempt(`list the listeners of ${lbArn} (elasticloadbalancing:DescribeListeners)`, () => client.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn })))).Listeners ?? [];
          const forwards = listeners.find((l) =>
            (l.DefaultActions ?? []).some((a) => a.TargetGroupArn === arn || a.ForwardConfig?.TargetGroups?.some((t) => t.TargetGroupArn === arn)),
          );
          if (lb?.DNSName && forwards?.Port) {
            const scheme = forwards.Protocol === 'HTTPS' ? 'https' : 'http';
            const defaultPort = scheme === 'https' ? 443 : 80;
            return `${scheme}://${lb.DNSName}${forwards.Port === defaultPort ? '' : `:${forwards.Port}`}`;
          }
        }
        return undefined;
      }),
    targetHealth: (arn) =>
      attempt(`read the target health of ${arn} (elasticloadbalancing:DescribeTargetHealth)`, async () =>
        ((await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }))).TargetHealthDescriptions ?? []).map((d) => ({
          id: d.Target?.Id ?? '?',
          port: d.Target?.Port,
          state: d.TargetHealth?.State ?? 'unknown',
          reason: d.TargetHealth?.Reason,
          description: d.TargetHealth?.Description,
        })),
      ),
    findTargetGroup: (name) =>
      attempt(`look up the target group ${name} (elasticloadbalancing:DescribeTargetGroups)`, async () => {
        try {
          return (await client.send(new DescribeTargetGroupsCommand({ Names: [name] }))).TargetGroups?.[0]?.TargetGroupArn;
        } catch (e) {
          if (awsErrorName(e) === 'TargetGroupNotFoundException' || awsErrorName(e) === 'TargetGroupNotFound') return undefined;
          throw e;
        }
      }),
    async provision(spec) {
      const existing = await port.findTargetGroup(spec.name);
      if (existing && (await port.url(existing))) return { targetGroupArn: existing, created: false };
      const lb = await attempt(`create the load balancer ${spec.name} (elasticloadbalancing:CreateLoadBalancer)`, () =>
        client.send(new CreateLoadBalancerCommand({ Name: spec.name, Type: 'application', Scheme: 'internet-facing', Subnets: spec.subnets, Tags: [{ Key: 'ferry:app', Value: spec.name }] })),
      );
      const lbArn = lb.LoadBalancers![0].LoadBalancerArn!;
      const tgArn =
        existing ??
        (
          await attempt(`create the target group ${spec.name} (elasticloadbalancing:CreateTargetGroup)`, () =>
            client.send(
              new CreateTargetGroupCommand({
                Name: spec.name,
                Protocol: 'HTTP',
                Port: spec.targetPort,
                VpcId: spec.vpcId,
                TargetType: 'ip',
                HealthCheckPath: spec.healthCheckPath,
                HealthCheckIntervalSeconds: spec.healthCheck.intervalSeconds,
                HealthCheckTimeoutSeconds: spec.healthCheck.timeoutSeconds,
                HealthyThresholdCount: spec.healthCheck.healthyThreshold,
                UnhealthyThresholdCount: spec.healthCheck.unhealthyThreshold,
                Matcher: { HttpCode: spec.matcher },
              }),
            ),
          )
        ).TargetGroups![0].TargetGroupArn!;
      await attempt(`set the deregistration delay of ${spec.name} (elasticloadbalancing:ModifyTargetGroupAttributes)`, () =>
        client.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: tgArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: String(spec.deregistrationDelaySeconds) }] })),
      );
      const listenerPort = await spec.listenerPort();
      await attempt(`create the listener of ${spec.name} on port ${listenerPort} (elasticloadbalancing:CreateListener)`, () =>
        client.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: listenerPort, DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }] })),
      );
      urls.delete(tgArn);
      timings.delete(tgArn);
      return { targetGroupArn: tgArn, created: true };
    },
  };
  return port;
}
