/**
 * Service deployments (ECS-SEMANTICS §4): ListServiceDeployments and DescribeServiceDeployments over
 * a service's current deployments and its history.
 */
import type { Operations } from '../../operations.ts';
import { serviceDeploymentBrief, serviceDeploymentDetail } from '../views.ts';
import { type ApiDeps, getCluster, getService, invalid, paginate } from './common.ts';

/** The service deployment operations. */
export function serviceDeploymentOperations({ store, arns }: ApiDeps): Operations {
  const st = () => store.get();
  return {
    ListServiceDeployments(input) {
      const cluster = getCluster(st(), input?.cluster);
      const svc = getService(st(), cluster, input?.service);
      const statuses: unknown = input.status;
      if (statuses !== undefined && !Array.isArray(statuses)) throw invalid('status must be a list.');
      const before = input.createdAt?.before;
      const after = input.createdAt?.after;
      // A circuit-breaker rollback is part of the failed service deployment (ROLLBACK_IN_PROGRESS), not one of its own.
      const all = [...svc.deployments, ...svc.history]
        .filter((d) => !d.rollbackOf)
        .filter((d) => !statuses || (statuses as string[]).includes(d.sdStatus))
        .filter((d) => before === undefined || d.createdAt < before)
        .filter((d) => after === undefined || d.createdAt > after)
        .sort((a, b) => b.createdAt - a.createdAt)
        .map((d) => serviceDeploymentBrief(svc, d, arns));
      const { page, nextToken } = paginate(all, input.maxResults, input.nextToken, 100, 20);
      return { serviceDeployments: page, ...(nextToken ? { nextToken } : {}) };
    },

    DescribeServiceDeployments(input) {
      const refs = input?.serviceDeploymentArns;
      if (!Array.isArray(refs) || refs.length === 0 || refs.length > 20) throw invalid('serviceDeploymentArns must list 1 to 20 ARNs.');
      const serviceDeployments = [];
      const failures = [];
      for (const ref of refs) {
        const m = /:service-deployment\/([^/]+)\/([^/]+)\/(\d+)$/.exec(String(ref));
        const svc = m ? st().services[`${m[1]}/${m[2]}`] : undefined;
        const d = svc && [...svc.deployments, ...svc.history].find((x) => x.id === `ecs-svc/${m![3]}` && !x.rollbackOf);
        if (svc && d) serviceDeployments.push(serviceDeploymentDetail(st(), svc, d, arns));
        else failures.push({ arn: ref, reason: 'MISSING' });
      }
      return { serviceDeployments, failures };
    },
  };
}
