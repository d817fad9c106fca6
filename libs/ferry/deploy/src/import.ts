/**
 * import: a live ECS service (made by Terraform, CDK, the console, another tool) turned into a
 * project's deploy.json, and with `template` into a task definition template, such that ferry's first
 * deploy of the unchanged image is a no-op: the same task definition (no new revision) and the same
 * service settings (no UpdateService). Like `ecspresso init`, into an Nx project. Pure; the generator
 * (`nx g @ferry/nx:import`, tools/nx-plugin/src/generators/import.ts) reads and writes.
 */
import { FerryError, type EnvironmentConfig } from '@ferry/core';
import type { EcsService, TaskDefinitionWithTags } from '@ferry/aws';
import { imageTagOf, stripServerFields, TAG_CONTENT } from './task-definition.ts';

export interface ImportInput {
  project: string;
  /** The environment deployed to (ferry.json): its cluster must be the service's. */
  env: Pick<EnvironmentConfig, 'name' | 'kind' | 'cluster' | 'registry'>;
  service: EcsService;
  /** The task definition of the service's PRIMARY deployment. */
  taskDef: TaskDefinitionWithTags;
  /** Write a template (template mode) instead of a deploy.json that patches the live revision. */
  template: boolean;
  /** The template's file name, relative to the project root. Default `ecs-task-def.json`. */
  templateFile?: string;
  /** The app's container; default: the load balancer's, else the only essential one, else the first. */
  container?: string;
  /** The `$schema` reference written into deploy.json. */
  schema?: string;
}

export interface ImportResult {
  deployJson: Record<string, unknown>;
  /** The template to write at `templateFile` (template mode). */
  template?: { file: string; json: Record<string, unknown> };
  /** What was decided and why, for the person running it. */
  notes: string[];
}

export const DEFAULT_TEMPLATE_FILE = 'ecs-task-def.json';

type Container = NonNullable<TaskDefinitionWithTags['taskDefinition']['containerDefinitions']>[number];

/** `host[:port]/path/name:tag` -> `{ host, repository, tag }`; undefined for a digest or a Docker Hub short name. */
export function parseImageRef(ref: string | undefined): { host: string; repository: string; tag?: string } | undefined {
  if (!ref || ref.includes('@')) return undefined;
  const slash = ref.indexOf('/');
  if (slash < 0) return undefined;
  const host = ref.slice(0, slash);
  // A registry host has a dot or a port (or is localhost); `team/app` alone is a Docker Hub name.
  if (!/[.:]/.test(host) && host !== 'localhost') return undefined;
  const rest = ref.slice(slash + 1);
  const tag = imageTagOf(ref);
  return { host, repository: tag ? rest.slice(0, rest.length - tag.length - 1) : rest, ...(tag && { tag }) };
}

/** The app container: named, else the one behind the load balancer, else the only essential one, else the first. */
export function appContainer(containers: Container[], service: EcsService, name?: string): Container {
  const names = containers.map((c) => JSON.stringify(c.name ?? '')).join(', ');
  if (name) {
    const c = containers.find((x) => x.name === name);
    if (!c) throw new FerryError('CONFIG_INVALID', `the live task definition has no container named ${JSON.stringify(name)}; its containers: ${names}. Pass --container with one of them.`);
    return c;
  }
  const lb = service.loadBalancers?.find((l) => l.containerName)?.containerName;
  const essential = containers.filter((c) => c.essential !== false);
  const found = (lb && containers.find((c) => c.name === lb)) || (essential.length === 1 ? essential[0] : undefined) || containers[0];
  if (!found) throw new FerryError('CONFIG_INVALID', `the live task definition has no containers.`);
  return found;
}

/** Tags a template may carry: not ferry's (they describe a registration) and not AWS's own (`aws:` may not be set by a request). */
const keptTag = (key: string | undefined) => !!key && !key.startsWith('ferry:') && key !== TAG_CONTENT && !key.toLowerCase().startsWith('aws:');

export function importService(input: ImportInput): ImportResult {
  const { service, taskDef, env, project } = input;
  const notes: string[] = [];
  const td = taskDef.taskDefinition;
  const containers = td.containerDefinitions ?? [];
  const app = appContainer(containers, service, input.container);
  const containerName = app.name!;
  if (containers.length > 1) notes.push(`app container: ${containerName} (of ${containers.map((c) => c.name).join(', ')}); the others are kept as they are`);
  const image = parseImageRef(app.image);
  if (!image) {
    throw new FerryError(
      'CONFIG_INVALID',
      `container ${containerName} runs ${JSON.stringify(app.image)}, which names no registry repository and tag ferry can push to. Import a service whose app container runs an image of your registry (host/repository:tag).`,
    );
  }
  if (env.registry && image.host !== env.registry) notes.push(`the live image is in ${image.host}, environment ${env.name} pushes to ${env.registry}: the first deploy pushes there and registers a new revision`);
  if (image.tag && !image.tag.startsWith('ft-')) notes.push(`the live image tag ${image.tag} is not a ferry content tag: the first deploy builds the content-tagged image and rolls it out`);

  const deployJson: Record<string, unknown> = {};
  if (input.schema) deployJson.$schema = input.schema;
  if (input.template) deployJson.taskDefinition = input.templateFile ?? DEFAULT_TEMPLATE_FILE;
  deployJson.repository = image.repository;
  if (service.serviceName !== project) deployJson.service = service.serviceName;
  if (containerName !== project) deployJson.containerName = containerName;
  // Template mode takes the family from the template; otherwise the default is the service name.
  if (!input.template && td.family !== (service.serviceName ?? project)) deployJson.family = td.family;

  // The service's own target group stays attached (a change would be an UpdateService).
  const lb = service.loadBalancers?.find((l) => l.containerName === containerName && l.targetGroupArn);
  const mapped = app.portMappings?.find((m) => m.containerPort !== undefined)?.containerPort;
  const port = lb?.containerPort ?? mapped;
  const portEnv = app.environment?.find((e) => e.name === 'PORT')?.value;
  // Declaring containerPort in deploy.json adds PORT=<port> to a patched container, and in the
  // sandbox it attaches a load balancer to a service that has none: write it only where neither changes anything.
  const portHarmless = input.template || portEnv === String(port);
  const lbHarmless = env.kind === 'aws' || !!lb;
  if (port !== undefined && portHarmless && lbHarmless) deployJson.containerPort = port;
  else if (port !== undefined) {
    notes.push(
      `containerPort ${port} not written: ${!lbHarmless ? 'in the sandbox it would attach a load balancer to a service that has none' : `the container has no PORT=${port}, which containerPort would add`}. Add "containerPort" (and "healthCheckPath") when you want that change.`,
    );
  }

  const dc = service.deploymentConfiguration;
  const cb = dc?.deploymentCircuitBreaker;
  const deployment: Record<string, unknown> = {};
  if (dc?.minimumHealthyPercent !== undefined && dc.minimumHealthyPercent !== 100) deployment.minimumHealthyPercent = dc.minimumHealthyPercent;
  if (dc?.maximumPercent !== undefined && dc.maximumPercent !== 200) deployment.maximumPercent = dc.maximumPercent;
  // ferry's default is the circuit breaker with rollback on; a service without it keeps it off.
  if (!(cb?.enable && cb?.rollback)) deployment.circuitBreaker = { enable: cb?.enable ?? false, rollback: cb?.rollback ?? false };
  if (Object.keys(deployment).length) deployJson.deployment = deployment;

  if (lb) {
    const loadBalancer: Record<string, unknown> = { targetGroupArn: lb.targetGroupArn };
    if (deployJson.containerPort === undefined && lb.containerPort !== undefined) loadBalancer.containerPort = lb.containerPort;
    if (service.healthCheckGracePeriodSeconds) loadBalancer.healthCheckGracePeriodSeconds = service.healthCheckGracePeriodSeconds;
    deployJson.environments = { [env.name]: { loadBalancer } };
  }
  notes.push('desiredCount not written: ferry leaves the running count alone until deploy.json sets one');

  if (!input.template) return { deployJson, notes };
  const json = stripServerFields(td) as unknown as Record<string, unknown>;
  json.containerDefinitions = containers.map((c) => (c.name === containerName ? { ...c, image: '${image}' } : c));
  const tags = taskDef.tags.filter((t) => keptTag(t.key));
  if (tags.length) json.tags = tags;
  else delete json.tags;
  // A literal `${` in a live value would read as a placeholder: escape it.
  return { deployJson, template: { file: input.templateFile ?? DEFAULT_TEMPLATE_FILE, json: escapeLiterals(json, containerName) }, notes };
}

/** Every `${` in a string value written as `$${` (the template's escape), except the app image's placeholder. */
function escapeLiterals(doc: Record<string, unknown>, containerName: string): Record<string, unknown> {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v.split('${').join('$${');
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const out = walk(doc) as Record<string, unknown>;
  out.containerDefinitions = (out.containerDefinitions as Record<string, unknown>[]).map((c) => (c.name === containerName ? { ...c, image: '${image}' } : c));
  return out;
}

/** The cluster the generator was asked for must be the environment's: ferry deploys there. */
export function checkImportCluster(cluster: string, env: Pick<EnvironmentConfig, 'name' | 'cluster'>): void {
  const name = cluster.replace(/^arn:[^:]+:ecs:[^:]*:[^:]*:cluster\//, '');
  if (name !== env.cluster) {
    throw new FerryError('CONFIG_INVALID', `--cluster ${cluster}, but environment ${env.name} deploys to cluster ${env.cluster} (ferry.json). Pass --env with the environment of that cluster, or fix ferry.json.`);
  }
}
