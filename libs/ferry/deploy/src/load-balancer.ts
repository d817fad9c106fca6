/**
 * An app's load balancer: the target group its service registers in (deploy.json `loadBalancer`), the
 * load balancer, target group and listener ferry provisions per app in the sandbox when none is
 * configured (through the ELBv2 API, so the attach-a-target-group path is the one AWS users run),
 * and how the target group's timing lengthens a rollout.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import type { AppDeployConfig, EnvironmentConfig } from '@ferry/core';
import type { ElbPort, EcsService, TargetGroupTiming } from '@ferry/aws';
import type { LiveState } from './plan.ts';

/**
 * Health checks and deregistration delay of the target groups ferry provisions in the sandbox: the
 * fast development settings of docs/fast-rollouts.md (ALB minimums: interval 5 s, healthy threshold
 * 2), with an unhealthy threshold of 5 so that a loaded laptop missing a probe now and then does not
 * stop a task.
 */
export const SANDBOX_TARGET_GROUP = { intervalSeconds: 5, timeoutSeconds: 4, healthyThreshold: 2, unhealthyThreshold: 5, deregistrationDelaySeconds: 2 };

/** The ELBv2 name (≤ 32 letters, digits, hyphens) of the load balancer and target group ferry provisions for an app. */
export function provisionedName(env: Pick<EnvironmentConfig, 'cluster'>, app: Pick<AppDeployConfig, 'service'>): string {
  const base = `${env.cluster}-${app.service}`.replace(/[^A-Za-z0-9-]/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  if (base.length <= 32) return base;
  return `${base.slice(0, 23).replace(/-$/, '')}-${createHash('sha256').update(base).digest('hex').slice(0, 8)}`;
}

/** The target group a live service is attached to, if any. */
export const liveTargetGroup = (service: Pick<EcsService, 'loadBalancers'> | undefined): string | undefined => service?.loadBalancers?.find((l) => l.targetGroupArn)?.targetGroupArn;

/** The app with `arn` as its target group. */
export function withTargetGroup(app: AppDeployConfig, arn: string): AppDeployConfig {
  return { ...app, loadBalancer: { ...app.loadBalancer, targetGroupArn: arn } };
}

/** A free port on 127.0.0.1 for a sandbox listener (the sandbox serves every listener on loopback). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * In the sandbox environment, for an app with a port and no configured target group: the target group
 * its service uses. A live service attached to one keeps it (no ELBv2 call); otherwise ferry provisions
 * a load balancer, target group and listener named after the app (a dry run only looks it up).
 * Undefined when it does not apply.
 */
export function sandboxTargetGroup(elb: ElbPort, app: AppDeployConfig, env: EnvironmentConfig, o: { dryRun?: boolean } = {}): ((live: LiveState | null) => Promise<string | undefined>) | undefined {
  if (env.kind !== 'sandbox' || app.loadBalancer?.targetGroupArn || app.containerPort === undefined) return undefined;
  const name = provisionedName(env, app);
  return async (live) => {
    const attached = liveTargetGroup(live?.service);
    if (attached) return attached;
    if (o.dryRun) return (await elb.findTargetGroup(name)) ?? `<target group ${name}, created by the deploy>`;
    const { targetGroupArn } = await elb.provision({
      name,
      listenerPort: freeLoopbackPort,
      targetPort: app.loadBalancer?.containerPort ?? app.containerPort!,
      healthCheckPath: app.healthCheckPath ?? '/',
      // Without a health endpoint any answer but a server error shows the app is listening.
      matcher: app.healthCheckPath ? String(app.healthCheckStatus) : '200-499',
      healthCheck: SANDBOX_TARGET_GROUP,
      deregistrationDelaySeconds: SANDBOX_TARGET_GROUP.deregistrationDelaySeconds,
      subnets: env.network?.subnets ?? ['subnet-sandbox'],
      vpcId: 'vpc-sandbox',
    });
    return targetGroupArn;
  };
}

/**
 * How long a rollout behind a target group can take beyond the tasks starting: a new target needs
 * HealthyThresholdCount passing checks an interval apart (plus one check's timeout) before ECS counts
 * it, and a replaced task stops only after the deregistration delay. With ALB defaults (interval 30 s,
 * timeout 5 s, threshold 5, delay 300 s) that is 455 s. Sources: ELBv2 CreateTargetGroup and target
 * group attributes, https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
 */
export function targetGroupRolloutSeconds(t: Pick<TargetGroupTiming, 'intervalSeconds' | 'timeoutSeconds' | 'healthyThreshold' | 'deregistrationDelaySeconds'>): number {
  return t.healthyThreshold * t.intervalSeconds + t.timeoutSeconds + t.deregistrationDelaySeconds;
}

/** The default rollout timeout (deploy.json's default 600 s) plus the target group's share, unless timeoutSeconds was set. */
export function rolloutTimeoutMs(app: AppDeployConfig, baseMs: number, timing: TargetGroupTiming | undefined): number {
  if (!timing || app.deployment.timeoutExplicit) return baseMs;
  return baseMs + targetGroupRolloutSeconds(timing) * 1000;
}

/** The target group settings that make a rollout slow, for a timeout message. */
export function describeTiming(t: TargetGroupTiming): string {
  return (
    `target group ${t.name}: health check every ${t.intervalSeconds} s (timeout ${t.timeoutSeconds} s), healthy after ${t.healthyThreshold} passes ` +
    `(${t.healthyThreshold * t.intervalSeconds} s), deregistration_delay.timeout_seconds ${t.deregistrationDelaySeconds} s; ` +
    `lower them for faster rollouts (docs/fast-rollouts.md) or raise deployment.timeoutSeconds`
  );
}
