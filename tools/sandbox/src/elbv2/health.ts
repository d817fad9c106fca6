/**
 * ELB target health as an Application Load Balancer keeps it (ELBv2 API reference, TargetHealth and
 * "Health checks for your target groups",
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html):
 * a newly registered target is `initial` (Elb.RegistrationInProgress, then Elb.InitialHealthChecking)
 * until HealthyThresholdCount consecutive passes make it `healthy`, or UnhealthyThresholdCount
 * consecutive failures make it `unhealthy`; a healthy target becomes unhealthy after
 * UnhealthyThresholdCount failures and healthy again after HealthyThresholdCount passes. A
 * deregistered target is `draining` (Target.DeregistrationInProgress) for the deregistration delay.
 * Pure: the checker (index.ts) feeds it each probe's result.
 */

export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable';

export interface TargetHealthRecord {
  state: TargetState;
  reason?: string;
  description?: string;
  passes: number;
  failures: number;
}

export interface Thresholds {
  healthy: number;
  unhealthy: number;
}

/** One probe's outcome: a pass, or a failure with its reason code and description. */
export type Probe = { ok: true } | { ok: false; reason: 'Target.ResponseCodeMismatch' | 'Target.Timeout' | 'Target.FailedHealthChecks'; description: string };

export const registered = (): TargetHealthRecord => ({ state: 'initial', reason: 'Elb.RegistrationInProgress', description: 'Target registration is in progress', passes: 0, failures: 0 });

/** The target's health after one more probe. */
export function afterProbe(h: TargetHealthRecord, probe: Probe, t: Thresholds): TargetHealthRecord {
  if (h.state === 'draining' || h.state === 'unused' || h.state === 'unavailable') return h;
  if (probe.ok) {
    const passes = h.passes + 1;
    if (h.state === 'healthy' || passes >= t.healthy) return { state: 'healthy', passes, failures: 0 };
    return { ...h, ...(h.state === 'initial' && { reason: 'Elb.InitialHealthChecking', description: 'Initial health checks in progress' }), passes, failures: 0 };
  }
  const failures = h.failures + 1;
  if (h.state === 'unhealthy' || failures >= t.unhealthy) return { state: 'unhealthy', reason: probe.reason, description: probe.description, passes: 0, failures };
  return { ...h, ...(h.state === 'initial' && { reason: 'Elb.InitialHealthChecking', description: 'Initial health checks in progress' }), passes: 0, failures };
}

/** Does an HTTP status satisfy a Matcher HttpCode ("200", "200,202", "200-299")? */
export function matches(httpCode: string, status: number): boolean {
  return httpCode.split(',').some((part) => {
    const [lo, hi] = part.trim().split('-').map(Number);
    return hi === undefined ? status === lo : status >= lo && status <= hi;
  });
}
