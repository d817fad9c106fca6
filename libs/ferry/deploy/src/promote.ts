/**
 * promote: deploy to one environment the exact image that runs in another, without rebuilding.
 *
 * Facts (ports): the source service's PRIMARY deployment and its task definition give the image;
 * an image by tag is resolved to its digest in the source registry (DescribeImages). The target's
 * registry says whether the tag is already there. The plan (pure, `planPromote`) is one copy step —
 * `present` (nothing to copy), `retag` (same registry and repository: BatchGetImage + PutImage of
 * the same manifest under the tag) or `blobs` (another registry or repository: the registry HTTP
 * API, registry-copy.ts) — then deploy-app's own plan in the target environment with the image
 * pinned by digest (`<registry>/<repository>@sha256:…`), so the target runs that digest and nothing
 * else. The revision records `ferry:promoted-from` = `<source env> <digest> <source revision ARN>`.
 */
import { awsErrorName, copyImage, getRegistryCredentials, imageExists, ensureRepository, registryFor, type CopyResult, type EcrPort, type EcsPort, type RegistryRepository } from '@ferry/aws';
import { FerryError, type ResolvedApp, type Reporter } from '@ferry/core';
import { containerImage, promotedFromValue, TAG_CONTENT, TAG_GIT_SHA, tagValue } from './task-definition.ts';
import { shortTaskDefinition } from './rollout.ts';

/** An image reference split up: `host[:port]/repo[:tag][@digest]`. */
export interface ImageRef {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/** Splits an image reference; undefined when it names no registry host (a Docker Hub short name). Pure. */
export function parseImageRef(ref: string): ImageRef | undefined {
  const m = /^([^/]+)\/(.+?)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/.exec(ref);
  if (!m || !/[.:]|^localhost$/.test(m[1])) return undefined;
  return { registry: m[1], repository: m[2], ...(m[3] && { tag: m[3] }), ...(m[4] && { digest: m[4] }) };
}

/** `<registry>/<repository>@<digest>`: what the target's task definition runs. Pure. */
export const pinnedImage = (registry: string, repository: string, digest: string): string => `${registry}/${repository}@${digest}`;

/** What runs in the source environment. */
export interface PromoteSource {
  env: string;
  cluster: string;
  service: string;
  taskDefinitionArn: string;
  /** The image as the task definition names it. */
  image: string;
  ref: ImageRef;
  digest: string;
  contentTag?: string;
  gitSha?: string;
}

/** The target environment's side, as found. */
export interface PromoteTargetFacts {
  env: string;
  cluster: string;
  service: string;
  registry: string;
  repository: string;
  /** The tag the image gets there (`--tag`, else the source's tag or content tag). */
  tag: string;
  /** The digest the tag already names in the target repository, if any. */
  tagDigest?: string;
}

export type CopyStep =
  | { kind: 'present' }
  | { kind: 'retag'; repository: string; tag: string }
  | { kind: 'blobs'; from: { registry: string; repository: string }; to: { registry: string; repository: string }; tag: string };

export interface PromotePlan {
  source: PromoteSource;
  target: PromoteTargetFacts;
  copy: CopyStep;
  /** The image the target's task definition gets. */
  imageRef: string;
  /** `ferry:promoted-from` of the target revision. */
  promotedFrom: string;
}

/** The tag the image gets in the target: `--tag`, the source's own tag, its content tag, else `promoted-<12 hex>`. Pure. */
export function promoteTag(source: Pick<PromoteSource, 'ref' | 'contentTag' | 'digest'>, explicit?: string): string {
  return explicit ?? source.ref.tag ?? source.contentTag ?? `promoted-${source.digest.slice('sha256:'.length, 'sha256:'.length + 12)}`;
}

/**
 * The plan (pure). A tag that names another digest in the target is refused: ECR repositories
 * ferry creates are IMMUTABLE, and a mutable one must not have a tag moved under a running service.
 */
export function planPromote(source: PromoteSource, target: PromoteTargetFacts): PromotePlan {
  if (target.tagDigest && target.tagDigest !== source.digest) {
    throw new FerryError(
      'USAGE',
      `${target.registry}/${target.repository}:${target.tag} already names ${target.tagDigest}, not ${source.digest} (what runs in ${source.env}; an image built separately for ${target.env} under the same content tag?). Nothing was changed. Promote it under another tag: --tag <name>.`,
    );
  }
  const sameRepository = target.registry === source.ref.registry && target.repository === source.ref.repository;
  const copy: CopyStep = target.tagDigest
    ? { kind: 'present' }
    : sameRepository
      ? { kind: 'retag', repository: target.repository, tag: target.tag }
      : { kind: 'blobs', from: { registry: source.ref.registry, repository: source.ref.repository }, to: { registry: target.registry, repository: target.repository }, tag: target.tag };
  return {
    source,
    target,
    copy,
    imageRef: pinnedImage(target.registry, target.repository, source.digest),
    promotedFrom: promotedFromValue({ env: source.env, digest: source.digest, taskDefinitionArn: source.taskDefinitionArn }),
  };
}

/** The plan as lines (`--dry-run` and the run's log). Pure. */
export function formatPromotePlan(p: PromotePlan): string[] {
  const s = p.source;
  const lines = [`source: ${s.env} ${s.service} runs ${shortTaskDefinition(s.taskDefinitionArn)} with ${s.image} = ${s.digest}`];
  if (p.copy.kind === 'present') lines.push(`copy: nothing to copy, ${p.target.registry}/${p.target.repository}:${p.target.tag} is already ${s.digest}`);
  else if (p.copy.kind === 'retag') lines.push(`copy: same registry and repository: BatchGetImage ${s.digest} + PutImage as ${p.copy.repository}:${p.copy.tag} (manifest copy)`);
  else lines.push(`copy: ${p.copy.from.registry}/${p.copy.from.repository}@${s.digest} -> ${p.copy.to.registry}/${p.copy.to.repository}:${p.copy.tag} (registry API: manifest and the blobs the target lacks)`);
  lines.push(`deploy: ${p.target.env} ${p.target.service} to ${p.imageRef} (pinned by digest), tagged ferry:promoted-from`);
  return lines;
}

/**
 * Reads what runs in the source environment: the PRIMARY deployment's task definition (it must be
 * COMPLETED: a rollout in progress or failed is not a release to promote), the app container's
 * image, its digest (DescribeImages when the image is named by tag).
 */
export async function readPromoteSource(ports: { ecs: EcsPort; ecr: EcrPort }, resolved: ResolvedApp): Promise<PromoteSource> {
  const { app, env } = resolved;
  const { services } = await ports.ecs.describeServices(env.cluster, [app.service]);
  const service = services.find((s) => s.status === 'ACTIVE');
  if (!service) throw new FerryError('NOT_FOUND', `service ${app.service} does not run in cluster ${env.cluster} (environment ${env.name}): nothing to promote. Deploy it there first: nx run ${app.project}:deploy:${env.name}`);
  const primary = service.deployments?.find((d) => d.status === 'PRIMARY');
  if (!primary?.taskDefinition) throw new FerryError('NOT_FOUND', `service ${app.service} in ${env.name} has no PRIMARY deployment; nothing to promote.`);
  if (primary.rolloutState && primary.rolloutState !== 'COMPLETED') {
    throw new FerryError('USAGE', `the PRIMARY deployment ${primary.id} of ${app.service} in ${env.name} is ${primary.rolloutState} (${shortTaskDefinition(primary.taskDefinition)}): promote what runs there once its rollout COMPLETED (nx run ${app.project}:history:${env.name}).`);
  }
  const { taskDefinition, tags } = await ports.ecs.describeTaskDefinition(primary.taskDefinition);
  const image = containerImage(taskDefinition, app.containerName);
  const ref = image ? parseImageRef(image) : undefined;
  if (!image || !ref) throw new FerryError('NOT_FOUND', `${shortTaskDefinition(primary.taskDefinition)} in ${env.name} has no container image in a registry for ${app.containerName} (image: ${image ?? 'none'}); promote copies ECR images only.`);
  const digest = ref.digest ?? (await resolveDigest(ports.ecr, resolved, ref));
  return {
    env: env.name,
    cluster: env.cluster,
    service: app.service,
    taskDefinitionArn: primary.taskDefinition,
    image,
    ref,
    digest,
    contentTag: tagValue(tags, TAG_CONTENT),
    gitSha: tagValue(tags, TAG_GIT_SHA),
  };
}

/** The digest a tag names in the source registry (DescribeImages; ECR's error names a missing tag). */
async function resolveDigest(ecr: EcrPort, resolved: ResolvedApp, ref: ImageRef): Promise<string> {
  const registry = await registryFor(resolved.env, ecr);
  if (registry !== ref.registry) {
    throw new FerryError('NOT_FOUND', `the image ${ref.registry}/${ref.repository}:${ref.tag} of ${resolved.env.name} is not in its registry ${registry}; promote reads tags there only. Pin the source by digest or set ferry.json's registry/registryId of ${resolved.env.name}.`);
  }
  const found = await imageExists(ecr, ref.repository, ref.tag!);
  if (!found) throw new FerryError('NOT_FOUND', `${ref.registry}/${ref.repository}:${ref.tag} (what ${resolved.env.name} runs) is no longer in ECR (expired by a lifecycle policy?). Nothing was changed.`);
  return found.digest;
}

/** The target side's facts: its registry, the tag the image gets and what that tag names there now. */
export async function readPromoteTarget(ecr: EcrPort, resolved: ResolvedApp, source: PromoteSource, tag?: string): Promise<PromoteTargetFacts> {
  const registry = await registryFor(resolved.env, ecr);
  const name = promoteTag(source, tag);
  const existing = await imageExists(ecr, resolved.app.repository, name);
  return {
    env: resolved.env.name,
    cluster: resolved.env.cluster,
    service: resolved.app.service,
    registry,
    repository: resolved.app.repository,
    tag: name,
    ...(existing && { tagDigest: existing.digest }),
  };
}

/** Ports of the copy: the source and target ECR ports (their registries' tokens come from them). */
export interface CopyPorts {
  source: EcrPort;
  target: EcrPort;
  fetch?: typeof fetch;
}

/** What applyCopy did. */
export type CopyOutcome = { kind: 'present' } | { kind: 'retag'; alreadyThere: boolean } | ({ kind: 'blobs' } & CopyResult);

/**
 * Carries out the copy step. The target repository is ensured first (ferry's settings, as push does).
 * `retag`: BatchGetImage by digest, PutImage with the tag; ImageAlreadyExistsException means the tag
 * already names that manifest (ECS-SEMANTICS §5), which is what was asked.
 */
export async function applyCopy(ports: CopyPorts, plan: PromotePlan, target: ResolvedApp, reporter: Reporter): Promise<CopyOutcome> {
  const step = plan.copy;
  if (step.kind === 'present') return { kind: 'present' };
  await ensureRepository(ports.target, target.app, reporter);
  if (step.kind === 'retag') {
    const got = await ports.target.batchGetImage({ repositoryName: plan.source.ref.repository, imageIds: [{ imageDigest: plan.source.digest }] });
    const image = got.images?.[0];
    if (!image?.imageManifest) {
      const f = got.failures?.[0];
      throw new FerryError('NOT_FOUND', `${plan.source.ref.repository}@${plan.source.digest} is not in ${plan.source.ref.registry}${f ? ` (${f.failureCode}: ${f.failureReason})` : ''}. Nothing was changed.`);
    }
    try {
      await ports.target.putImage({ repositoryName: step.repository, imageManifest: image.imageManifest, imageManifestMediaType: image.imageManifestMediaType, imageTag: step.tag, imageDigest: plan.source.digest });
      return { kind: 'retag', alreadyThere: false };
    } catch (e) {
      if (awsErrorName(e) === 'ImageAlreadyExistsException') return { kind: 'retag', alreadyThere: true };
      if (awsErrorName(e) === 'ImageTagAlreadyExistsException') {
        throw new FerryError('USAGE', `${step.repository}:${step.tag} already names another image and the repository is IMMUTABLE. Nothing was changed. Promote under another tag: --tag <name>.`, { cause: e });
      }
      throw e;
    }
  }
  const access = async (port: EcrPort, repository: string): Promise<RegistryRepository> => {
    const c = await getRegistryCredentials(port);
    return { baseUrl: c.proxyEndpoint, repository, username: c.username, password: c.password };
  };
  const from = await access(ports.source, step.from.repository);
  const to = await access(ports.target, step.to.repository);
  return { kind: 'blobs', ...(await copyImage(from, to, plan.source.digest, step.tag, ports.fetch)) };
}

/**
 * After the rollout: the target service's PRIMARY task definition must run the source digest (the
 * image pinned by it), and every RUNNING task that reports an image digest (DescribeTasks
 * `containers[].imageDigest`) must report it. Returns the task definition ARN checked.
 */
export async function assertRunsDigest(ecs: EcsPort, target: ResolvedApp, digest: string): Promise<string> {
  const { app, env } = target;
  const { services } = await ecs.describeServices(env.cluster, [app.service]);
  const arn = services[0]?.deployments?.find((d) => d.status === 'PRIMARY')?.taskDefinition;
  const td = arn ? await ecs.describeTaskDefinition(arn) : undefined;
  const image = td ? containerImage(td.taskDefinition, app.containerName) : undefined;
  if (!arn || !image || parseImageRef(image)?.digest !== digest) {
    throw new FerryError('DEPLOY_FAILED', `after the promote, ${app.service} in ${env.name} runs ${image ?? 'nothing'} (${arn ? shortTaskDefinition(arn) : 'no PRIMARY deployment'}), not ${digest}. Someone deployed in between? See nx run ${app.project}:history:${env.name}.`);
  }
  const tasks = await ecs.describeTasks(env.cluster, await ecs.listTasks(env.cluster, app.service, 'RUNNING'));
  const other = tasks
    .filter((t) => t.taskDefinitionArn === arn)
    .flatMap((t) => (t.containers ?? []).filter((c) => c.name === app.containerName && c.imageDigest && c.imageDigest !== digest).map((c) => `${t.taskArn?.split('/').pop()}: ${c.imageDigest}`));
  if (other.length) throw new FerryError('DEPLOY_FAILED', `tasks of ${shortTaskDefinition(arn)} in ${env.name} report other image digests than ${digest}: ${other.join(', ')}.`);
  return arn;
}
