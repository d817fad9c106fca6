/**
 * What every deploy-side step starts from: the session's ports for one resolved app, and the image
 * the local workspace stands for (its content tag in the environment's registry).
 */
import { assertValidName, computeContentTag, contentTagMemo, getProjectGraph, gitRevision, type ContentTag, type ResolvedApp, type RunSession } from '@ferry/core';
import { awsClients, imageExists, registryFor, type EcrPort, type ElbPort, type ScalingPort } from '@ferry/aws';
import type { DeployPorts } from './apply.ts';

export interface AppPorts extends DeployPorts {
  ecr: EcrPort;
  /** Application Auto Scaling: whether a scalable target owns the service's desired count. */
  scaling: ScalingPort;
  elbv2: ElbPort;
}

/** The app's ECS, ECR, CloudWatch Logs and ELBv2 ports from the run's client pool (shared clients, the run's caches). */
export function appPorts(session: RunSession, resolved: Pick<ResolvedApp, 'env'>): AppPorts {
  const pool = session.use(awsClients);
  const ecs = pool.ecs(resolved.env);
  const ecr = pool.ecr(resolved.env);
  return { ecs, ecr, logs: pool.logs(resolved.env), scaling: pool.scaling(resolved.env), elbv2: pool.elbv2(resolved.env), imageExists: async (repository, tag) => (await imageExists(ecr, repository, tag)) !== null };
}

export interface LocalImage {
  tag: string;
  imageRef: string;
  gitSha?: string;
  /** The tag's inputs when computed here (absent with `--tag`). */
  content?: ContentTag;
}

/**
 * The image for the workspace as it is: its content tag (or an explicit `--tag`) in the registry.
 * The content tag is recomputed rather than read from build-image's record, so a stale record can
 * never make deploy-app ship something other than the checked-out code; within a run it comes from
 * the session's memo (one tag per app for the whole run).
 */
export async function localImage(session: RunSession, resolved: ResolvedApp, ecr: EcrPort, opts: { tag?: string } = {}): Promise<LocalImage> {
  // Checked before any AWS call: the tag ends up in an image reference and a task definition.
  if (opts.tag !== undefined) assertValidName('tag', opts.tag, 'the --tag flag');
  const registry = await registryFor(resolved.env, ecr);
  const git = await gitRevision(resolved.workspaceRoot, session).catch(() => undefined);
  const gitSha = git?.sha ? `${git.sha}${git.dirty ? '-dirty' : ''}` : undefined;
  if (opts.tag) return { tag: opts.tag, imageRef: `${registry}/${resolved.app.repository}:${opts.tag}`, gitSha };
  const content = await computeContentTag(resolved, await getProjectGraph(resolved.workspaceRoot, session), contentTagMemo(session));
  return { tag: content.tag, imageRef: `${registry}/${resolved.app.repository}:${content.tag}`, gitSha, content };
}
