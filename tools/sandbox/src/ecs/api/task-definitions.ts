/**
 * Task definitions: RegisterTaskDefinition, DescribeTaskDefinition, ListTaskDefinitions,
 * ListTaskDefinitionFamilies, DeregisterTaskDefinition. Revisions always increment; the server fills
 * the fields ECS fills (ECS-SEMANTICS §4); tags are kept beside the revision.
 */
import type { Operations } from '../../operations.ts';
import type { ContainerDef, TaskDefRecord } from '../model.ts';
import { nowSeconds } from '../model.ts';
import { checkFargateTaskDefinition, checkSecretsNeedExecutionRole, checkUserTags } from './ecs-rules.ts';
import { type ApiDeps, checkTags, client, findTaskDef, invalid, NAME_RE, paginate, withTags } from './common.ts';

/** Health-check ranges of the model (§3): interval 5–300, timeout 2–60, retries 1–10, startPeriod 0–300. */
function validateHealthCheck(c: ContainerDef) {
  const hc = c.healthCheck;
  if (hc === undefined) return;
  if (!Array.isArray(hc.command) || hc.command.length === 0 || !hc.command.every((x) => typeof x === 'string'))
    throw client(`Container '${c.name}': healthCheck.command must be a non-empty list of strings.`);
  if (!['CMD', 'CMD-SHELL', 'NONE'].includes(hc.command[0]))
    throw client(`Container '${c.name}': healthCheck.command must start with CMD or CMD-SHELL.`);
  const ranges: [keyof typeof hc, number, number][] = [
    ['interval', 5, 300],
    ['timeout', 2, 60],
    ['retries', 1, 10],
    ['startPeriod', 0, 300],
  ];
  for (const [field, lo, hi] of ranges) {
    const v = hc[field];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || (v as number) < lo || (v as number) > hi)
      throw client(`Container '${c.name}': healthCheck.${field} must be an integer between ${lo} and ${hi}.`);
  }
}

/** The container definitions, validated, with ECS's defaults filled in. */
function containerDefinitions(defs: unknown, networkMode: unknown): ContainerDef[] {
  if (!Array.isArray(defs) || defs.length === 0) throw client('Container list cannot be empty.');
  const names = new Set<string>();
  for (const c of defs as ContainerDef[]) {
    if (!c || typeof c.name !== 'string' || !NAME_RE.test(c.name)) throw client('Container.name should not be null or empty and may contain only letters, numbers, hyphens and underscores.');
    if (names.has(c.name)) throw client(`Duplicate container name '${c.name}'.`);
    names.add(c.name);
    if (typeof c.image !== 'string' || c.image === '') throw client(`Container.image should not be null or empty (container '${c.name}').`);
    validateHealthCheck(c);
    if (c.environment !== undefined && (!Array.isArray(c.environment) || c.environment.some((e) => typeof e?.name !== 'string')))
      throw client(`Container '${c.name}': environment must be a list of {name, value}.`);
  }
  if (!(defs as ContainerDef[]).some((c) => c.essential !== false)) throw client('Task definition must have at least one essential container.');
  return (defs as ContainerDef[]).map((c) => ({
    cpu: 0,
    environment: [],
    mountPoints: [],
    volumesFrom: [],
    ...c,
    essential: c.essential ?? true,
    portMappings: (c.portMappings ?? []).map((p) => ({
      ...p,
      ...(networkMode === 'awsvpc' && p.containerPort !== undefined ? { hostPort: p.hostPort ?? p.containerPort } : {}),
      protocol: p.protocol ?? 'tcp',
    })),
  }));
}

/** The task definition operations. */
export function taskDefinitionOperations({ store, arns, accountId }: ApiDeps): Operations {
  const st = () => store.get();
  return {
    RegisterTaskDefinition(input) {
      const family = input?.family;
      if (typeof family !== 'string' || family === '') throw client('Family must be specified.');
      if (!NAME_RE.test(family)) throw client('Family contains invalid characters (allowed: letters, numbers, hyphens, underscores; up to 255).');
      const { tags: _omit, ...rest } = input;
      const networkMode = rest.networkMode;
      const defs = containerDefinitions(input.containerDefinitions, networkMode);
      checkFargateTaskDefinition(input);
      checkSecretsNeedExecutionRole(input);
      const tags = checkTags(input.tags);
      checkUserTags(tags);
      let record!: TaskDefRecord;
      store.update((s) => {
        const revisions = (s.taskDefinitions[family] ??= []);
        const revision = revisions.length + 1;
        const fargate = (rest.requiresCompatibilities ?? []).includes('FARGATE') || networkMode === 'awsvpc';
        record = {
          ...rest,
          containerDefinitions: defs,
          taskDefinitionArn: arns.taskDefinition(family, revision),
          family,
          revision,
          volumes: rest.volumes ?? [],
          status: 'ACTIVE',
          requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }],
          placementConstraints: rest.placementConstraints ?? [],
          compatibilities: fargate ? ['EC2', 'FARGATE'] : ['EC2'],
          registeredAt: nowSeconds(),
          registeredBy: `arn:aws:iam::${accountId}:root`,
        };
        revisions.push(record);
        s.taskDefinitionTags[record.taskDefinitionArn] = tags;
      });
      return { taskDefinition: record, tags };
    },

    DescribeTaskDefinition(input) {
      const td = findTaskDef(st(), input?.taskDefinition);
      if (typeof input?.taskDefinition !== 'string') throw client('taskDefinition must be specified.');
      if (!td) throw client('Unable to describe task definition.');
      return { taskDefinition: td, ...(withTags(input.include) ? { tags: st().taskDefinitionTags[td.taskDefinitionArn] ?? [] } : {}) };
    },

    ListTaskDefinitions(input) {
      const status = input?.status ?? 'ACTIVE';
      if (!['ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS'].includes(status)) throw invalid('status must be ACTIVE, INACTIVE or DELETE_IN_PROGRESS.');
      const sort = input?.sort ?? 'ASC';
      if (sort !== 'ASC' && sort !== 'DESC') throw invalid('sort must be ASC or DESC.');
      // familyPrefix is "the full family name" (ECS model, ListTaskDefinitionsRequest): AWS lists
      // nothing for a mere prefix (captured in getmoto/moto#2602), unlike ListTaskDefinitionFamilies.
      const family: string | undefined = input?.familyPrefix;
      // ASC: families lexicographically, revisions in ascending numerical order; DESC reverses both.
      let all = Object.values(st().taskDefinitions)
        .flat()
        .filter((td) => td.status === status && (!family || td.family === family))
        .sort((a, b) => (a.family < b.family ? -1 : a.family > b.family ? 1 : 0) || a.revision - b.revision)
        .map((td) => td.taskDefinitionArn);
      if (sort === 'DESC') all = all.reverse();
      const { page, nextToken } = paginate(all, input?.maxResults, input?.nextToken);
      return { taskDefinitionArns: page, ...(nextToken ? { nextToken } : {}) };
    },

    ListTaskDefinitionFamilies(input) {
      const prefix: string | undefined = input?.familyPrefix;
      const all = Object.keys(st().taskDefinitions)
        .filter((f) => !prefix || f.startsWith(prefix))
        .sort();
      const { page, nextToken } = paginate(all, input?.maxResults, input?.nextToken);
      return { families: page, ...(nextToken ? { nextToken } : {}) };
    },

    DeregisterTaskDefinition(input) {
      const ref = input?.taskDefinition;
      if (typeof ref !== 'string' || !ref.includes(':')) throw client('taskDefinition must be family:revision or an ARN.');
      const td = findTaskDef(st(), ref);
      if (!td) throw client('Unable to describe task definition.');
      store.update(() => {
        td.status = 'INACTIVE';
        td.deregisteredAt = nowSeconds();
      });
      return { taskDefinition: td };
    },
  };
}
