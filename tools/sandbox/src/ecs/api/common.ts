/**
 * What the ECS resource modules share: their dependencies, AWS error shapes, name and ARN parsing,
 * pagination, tag validation, and the lookups that throw ECS's "not found" errors.
 */
import { AwsError, type BufferedStateStore } from '../../context.ts';
import type { ClusterRecord, EcsState, ServiceRecord, Tag, TaskDefRecord, TaskRecord } from '../model.ts';
import type { Arns } from '../views.ts';

/** What the handlers need from the controller. */
export interface ControllerPort {
  /** Reconcile soon (after a change). */
  poke(): void;
  /** Begin stopping a task (DEACTIVATING → … → STOPPED). */
  stopTask(taskId: string, stopCode: string, reason: string): void;
  /** Launch a standalone task (RunTask) the handler built, PROVISIONING; the runner takes it from there. */
  runTask(task: TaskRecord): void;
}

/** Everything an ECS resource module works with. */
export interface ApiDeps {
  /** The ECS state; a call's changes are written once when it ends (api/index.ts). */
  store: BufferedStateStore<EcsState>;
  arns: Arns;
  accountId: string;
  controller: ControllerPort;
  /** Tag key carrying the sandbox load balancer URL on services with loadBalancers. */
  urlTagKey: string;
  /** The ELBv2 part: target groups named in loadBalancers are looked up there. */
  elb?: import('../../elbv2/index.ts').ElbPort;
}

/** ECS's two validation errors: InvalidParameterException and ClientException. */
export const invalid = (m: string) => new AwsError('InvalidParameterException', m);
export const client = (m: string) => new AwsError('ClientException', m);
/** Names of clusters, services, families and containers: 1–255 letters, digits, `-`, `_`. */
export const NAME_RE = /^[a-zA-Z0-9_-]{1,255}$/;

/** The name part of an ARN (after its last `/`), or the value itself. */
export function lastSegment(v: string): string {
  return v.startsWith('arn:') ? v.slice(v.lastIndexOf('/') + 1) : v;
}

/** Cluster name from a name or ARN (default `default`). */
export function clusterName(v: unknown): string {
  if (v === undefined || v === null || v === '') return 'default';
  if (typeof v !== 'string') throw invalid('cluster must be a string.');
  return v.startsWith('arn:') ? v.slice(v.indexOf(':cluster/') + ':cluster/'.length) : v;
}

/** `include: ["TAGS"]` was asked for. */
export const withTags = (include: unknown) => Array.isArray(include) && include.includes('TAGS');

/** Validated `tags` (at most 50, keys 1–128 characters); values default to ''. */
export function checkTags(tags: unknown): Tag[] {
  if (tags === undefined) return [];
  if (!Array.isArray(tags)) throw invalid('tags must be a list.');
  for (const t of tags) {
    if (!t || typeof t.key !== 'string' || t.key.length < 1 || t.key.length > 128) throw invalid('Tag keys must be between 1 and 128 characters.');
    if (t.value !== undefined && typeof t.value !== 'string') throw invalid('Tag values must be strings.');
  }
  if (tags.length > 50) throw invalid('A resource can have at most 50 tags.');
  return tags.map((t) => ({ key: t.key, value: t.value ?? '' }));
}

/** `add` replaces tags with the same key. */
export function mergeTags(existing: Tag[], add: Tag[]): Tag[] {
  const out = existing.filter((t) => !add.some((a) => a.key === t.key));
  return [...out, ...add];
}

/** Opaque `nextToken` pagination; `max` bounds maxResults, `dflt` is the page size without it. */
export function paginate<T>(items: T[], maxResults: unknown, nextToken: unknown, max = 100, dflt = 100) {
  let size = dflt;
  if (maxResults !== undefined) {
    if (!Number.isInteger(maxResults) || (maxResults as number) < 1 || (maxResults as number) > max)
      throw invalid(`maxResults must be between 1 and ${max}.`);
    size = maxResults as number;
  }
  let start = 0;
  if (nextToken !== undefined && nextToken !== null) {
    const decoded = typeof nextToken === 'string' ? Number(Buffer.from(nextToken, 'base64url').toString()) : NaN;
    if (!Number.isInteger(decoded) || decoded < 0) throw invalid('Invalid nextToken.');
    start = decoded;
  }
  const page = items.slice(start, start + size);
  const next = start + size < items.length ? Buffer.from(String(start + size)).toString('base64url') : undefined;
  return { page, nextToken: next };
}

/** An ACTIVE cluster by name or ARN, or ClusterNotFoundException. */
export function getCluster(state: EcsState, v: unknown): ClusterRecord {
  const c = state.clusters[clusterName(v)];
  if (!c || c.status !== 'ACTIVE') throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
  return c;
}

/** The service by name or ARN in the cluster, if any. */
export function findService(state: EcsState, cluster: ClusterRecord, ref: unknown): ServiceRecord | undefined {
  if (typeof ref !== 'string' || ref === '') throw invalid('service must be specified.');
  return state.services[`${cluster.name}/${lastSegment(ref)}`];
}

/** The service by name or ARN in the cluster, or ServiceNotFoundException. */
export function getService(state: EcsState, cluster: ClusterRecord, ref: unknown): ServiceRecord {
  const svc = findService(state, cluster, ref);
  if (!svc) throw new AwsError('ServiceNotFoundException', 'Service not found.');
  return svc;
}

/** `family`, `family:rev` or an ARN; a bare family means the latest ACTIVE revision. */
export function findTaskDef(state: EcsState, ref: unknown): TaskDefRecord | undefined {
  if (typeof ref !== 'string' || ref === '') return undefined;
  const tail = ref.startsWith('arn:') ? ref.slice(ref.indexOf(':task-definition/') + ':task-definition/'.length) : ref;
  const [family, rev] = tail.split(':');
  const revisions = state.taskDefinitions[family];
  if (!revisions) return undefined;
  if (rev === undefined) return [...revisions].reverse().find((r) => r.status === 'ACTIVE');
  const n = Number(rev);
  return Number.isInteger(n) ? revisions[n - 1] : undefined;
}
