/**
 * Tags: TagResource, UntagResource, ListTagsForResource on clusters, services, task definitions and
 * tasks, found by their ARN.
 */
import { AwsError } from '../../context.ts';
import type { Operations } from '../../operations.ts';
import type { EcsState, Tag } from '../model.ts';
import { checkUserTags } from './ecs-rules.ts';
import { type ApiDeps, checkTags, client, findTaskDef, invalid, mergeTags } from './common.ts';

/** The tag list of the resource an ECS ARN names; ECS's not-found error when there is none. */
function resolveTaggable(s: EcsState, arn: unknown): { get(): Tag[]; set(tags: Tag[]): void } {
  if (typeof arn !== 'string' || !arn.startsWith('arn:aws:ecs:')) throw invalid('resourceArn must be an ECS ARN.');
  const rest = arn.split(':').slice(5).join(':');
  const [kind, ...parts] = rest.split('/');
  if (kind === 'cluster') {
    const c = s.clusters[parts[0]];
    if (!c || c.status !== 'ACTIVE') throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
    return { get: () => c.tags, set: (t) => (c.tags = t) };
  }
  if (kind === 'service' && parts.length === 2) {
    if (!s.clusters[parts[0]]) throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
    const svc = s.services[`${parts[0]}/${parts[1]}`];
    if (!svc) throw new AwsError('ServiceNotFoundException', 'Service not found.');
    return { get: () => svc.tags, set: (t) => (svc.tags = t) };
  }
  if (kind === 'task-definition') {
    const td = findTaskDef(s, arn);
    if (!td || !arn.includes(':task-definition/') || !/:\d+$/.test(arn)) throw client('Unable to describe task definition.');
    return { get: () => s.taskDefinitionTags[td.taskDefinitionArn] ?? [], set: (t) => (s.taskDefinitionTags[td.taskDefinitionArn] = t) };
  }
  if (kind === 'task' && parts.length === 2) {
    const t = s.tasks[parts[1]];
    if (!t) throw invalid('The specified task was not found.');
    return { get: () => t.tags, set: (tags) => (t.tags = tags) };
  }
  throw invalid(`Unsupported resource ARN ${arn}.`);
}

/** The tag operations. */
export function tagOperations({ store }: ApiDeps): Operations {
  return {
    TagResource(input) {
      const tags = checkTags(input?.tags);
      checkUserTags(tags);
      const target = resolveTaggable(store.get(), input?.resourceArn);
      const merged = mergeTags(target.get(), tags);
      // The 50-tag limit is per resource: the tags it has plus the new ones.
      checkUserTags(merged.filter((t) => !/^aws:/i.test(t.key)));
      store.update(() => target.set(merged));
      return {};
    },

    UntagResource(input) {
      if (!Array.isArray(input?.tagKeys)) throw invalid('tagKeys must be a list.');
      const reserved = (input.tagKeys as string[]).find((k) => /^aws:/i.test(k));
      if (reserved !== undefined) throw invalid(`Tag key '${reserved}' uses the reserved prefix 'aws:'; tags beginning with 'aws:' can't be edited or deleted.`);
      const target = resolveTaggable(store.get(), input?.resourceArn);
      store.update(() => target.set(target.get().filter((t) => !input.tagKeys.includes(t.key))));
      return {};
    },

    ListTagsForResource(input) {
      return { tags: resolveTaggable(store.get(), input?.resourceArn).get() };
    },
  };
}
