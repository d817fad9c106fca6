/**
 * The ServiceDeployments API's account of a rollout (ListServiceDeployments +
 * DescribeServiceDeployments, ECS since late 2024): the status ECS itself gives the deployment
 * ferry started (`ROLLBACK_REQUESTED` → `ROLLBACK_IN_PROGRESS` → `ROLLBACK_SUCCESSFUL` /
 * `ROLLBACK_FAILED`, `SUCCESSFUL`, `STOPPED`…), why it rolled back, and the circuit breaker's
 * failure count against its threshold (ECS-SEMANTICS §2, §4; ECS model `ServiceDeployment`).
 *
 * ferry watches with DescribeServices (counts, events, the PRIMARY deployment), and asks this API
 * once when a rollout did not complete, for the authoritative verdict and its reasons. Where the
 * account denies it (no `ecs:ListServiceDeployments`/`ecs:DescribeServiceDeployments`) or the
 * endpoint does not know it, ferry goes on with what DescribeServices showed.
 */
import type { EcsPort, EcsServiceDeployment } from '@ferry/aws';

/** What the ServiceDeployments API says about one deployment, in ferry's words. */
export interface ServiceDeploymentReport {
  arn: string;
  status: string;
  statusReason?: string;
  rollbackReason?: string;
  breaker?: { status?: string; failureCount?: number; threshold?: number };
  /** ECS rolled it back (or is doing so). */
  rolledBack: boolean;
}

/**
 * The service deployment ferry started at `startedAt` (the one created closest to it), or
 * undefined when the API is denied, unknown, or has nothing to say.
 */
export async function readServiceDeployment(ecs: EcsPort, cluster: string, service: string, startedAt: number): Promise<ServiceDeploymentReport | undefined> {
  try {
    const briefs = await ecs.listServiceDeployments(cluster, service, startedAt - 2000);
    // Ours: the one created closest to when ferry started the move (the clocks of the runner and of
    // ECS may differ by a little, hence the window before it).
    const first = [...briefs].sort((a, b) => Math.abs((a.createdAt?.getTime() ?? 0) - startedAt) - Math.abs((b.createdAt?.getTime() ?? 0) - startedAt))[0];
    if (!first?.serviceDeploymentArn) return undefined;
    const [full] = await ecs.describeServiceDeployments([first.serviceDeploymentArn]);
    return report(full ?? { ...first });
  } catch {
    // Denied (IAM), unknown to the endpoint, or throttled: DescribeServices already told the story.
    return undefined;
  }
}

function report(d: EcsServiceDeployment): ServiceDeploymentReport {
  return {
    arn: d.serviceDeploymentArn ?? '',
    status: d.status ?? 'UNKNOWN',
    statusReason: d.statusReason,
    rollbackReason: d.rollback?.reason,
    breaker: d.deploymentCircuitBreaker && { status: d.deploymentCircuitBreaker.status, failureCount: d.deploymentCircuitBreaker.failureCount, threshold: d.deploymentCircuitBreaker.threshold },
    rolledBack: /^ROLLBACK_/.test(d.status ?? ''),
  };
}

/** Detail lines for a failure report. Pure. */
export function formatServiceDeployment(r: ServiceDeploymentReport | undefined): string[] {
  if (!r) return [];
  const breaker = r.breaker?.threshold !== undefined ? ` (circuit breaker ${r.breaker.status ?? ''}: ${r.breaker.failureCount ?? 0} of ${r.breaker.threshold} failed tasks)`.replace(' :', ':') : '';
  return [
    `ECS service deployment: ${r.status}${breaker}`,
    ...(r.rollbackReason ? [`ECS rollback: ${r.rollbackReason}`] : []),
    ...(r.statusReason ? [`ECS: ${r.statusReason}`] : []),
  ];
}
