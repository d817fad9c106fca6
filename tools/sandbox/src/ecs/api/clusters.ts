/** Clusters: CreateCluster, DescribeClusters, ListClusters. A cluster exists only once created. */
import type { Operations } from '../../operations.ts';
import type { ClusterRecord, EcsState } from '../model.ts';
import { nowSeconds } from '../model.ts';
import { isLive } from '../views.ts';
import { type ApiDeps, checkTags, clusterName, invalid, NAME_RE, paginate, withTags } from './common.ts';

/** The Cluster shape, with task and service counts. */
function clusterView(state: EcsState, c: ClusterRecord, include: unknown) {
  const tasks = Object.values(state.tasks).filter((t) => t.clusterName === c.name && isLive(t));
  return {
    clusterArn: c.arn,
    clusterName: c.name,
    status: c.status,
    registeredContainerInstancesCount: 0,
    runningTasksCount: tasks.filter((t) => t.lastStatus === 'RUNNING').length,
    pendingTasksCount: tasks.filter((t) => t.lastStatus !== 'RUNNING').length,
    activeServicesCount: Object.values(state.services).filter((s) => s.clusterName === c.name && s.status === 'ACTIVE').length,
    statistics: [],
    ...(c.settings ? { settings: c.settings } : {}),
    ...(withTags(include) ? { tags: c.tags } : {}),
  };
}

/** The cluster operations. */
export function clusterOperations({ store, arns }: ApiDeps): Operations {
  const st = () => store.get();
  return {
    CreateCluster(input) {
      const name = input?.clusterName ?? 'default';
      if (typeof name !== 'string' || !NAME_RE.test(name)) throw invalid('Cluster names can only contain letters, numbers, hyphens and underscores (1-255).');
      const tags = checkTags(input?.tags);
      store.update((s) => {
        const existing = s.clusters[name];
        if (existing && existing.status === 'ACTIVE') return;
        s.clusters[name] = { name, arn: arns.cluster(name), status: 'ACTIVE', tags, settings: input?.settings, createdAt: nowSeconds() };
      });
      return { cluster: clusterView(st(), st().clusters[name], input?.include) };
    },

    DescribeClusters(input) {
      const refs: unknown[] = input?.clusters ?? ['default'];
      if (!Array.isArray(refs) || refs.length > 100) throw invalid('clusters must be a list of at most 100.');
      const clusters = [];
      const failures = [];
      for (const ref of refs) {
        const c = st().clusters[clusterName(ref)];
        if (c && c.status === 'ACTIVE') clusters.push(clusterView(st(), c, input?.include));
        else failures.push({ arn: typeof ref === 'string' && ref.startsWith('arn:') ? ref : arns.cluster(String(ref)), reason: 'MISSING' });
      }
      return { clusters, failures };
    },

    ListClusters(input) {
      const all = Object.values(st().clusters).filter((c) => c.status === 'ACTIVE').map((c) => c.arn);
      const { page, nextToken } = paginate(all, input?.maxResults, input?.nextToken);
      return { clusterArns: page, ...(nextToken ? { nextToken } : {}) };
    },
  };
}
