/**
 * What every deploy-side entry script starts from: the ports for one resolved app, and the image
 * the local workspace stands for (its content tag in the environment's registry).
 */
import { assertValidName, computeContentTag, getProjectGraph, gitRevision, type ContentTag, type ResolvedApp } from '@ferry/core';
import { createAwsClients, createEcsPort, ecrPort, imageExists, registryFor, type EcrPort, type EcsPort } from '@ferry/aws';
import type { DeployPorts } from './deploy.ts';

export interface AppPorts extends DeployPorts {
  ecr: EcrPort;
}

export function appPorts(resolved: ResolvedApp): AppPorts {
  const clients = createAwsClients(resolved.env);
  const ecs: EcsPort = createEcsPort(clients.ecs);
  const ecr = ecrPort(clients.ecr);
  return { ecs, ecr, imageExists: async (repository, tag) => (await imageExists(ecr, repository, tag)) !== null };
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
 * never make deploy-app ship something other than the checked-out code.
 */
export async function localImage(resolved: ResolvedApp, ecr: EcrPort, opts: { tag?: string } = {}): Promise<LocalImage> {
  // Checked before any AWS call: the tag ends up in an image reference and a task definition.
  if (opts.tag !== undefined) assertValidName('tag', opts.tag, 'the --tag flag');
  const registry = await registryFor(resolved.env, ecr);
  const git = await gitRevision(resolved.workspaceRoot).catch(() => undefined);
  const gitSha = git?.sha ? `${git.sha}${git.dirty ? '-dirty' : ''}` : undefined;
  if (opts.tag) return { tag: opts.tag, imageRef: `${registry}/${resolved.app.repository}:${opts.tag}`, gitSha };
  const content = await computeContentTag(resolved, await getProjectGraph(resolved.workspaceRoot));
  return { tag: content.tag, imageRef: `${registry}/${resolved.app.repository}:${content.tag}`, gitSha, content };
}
