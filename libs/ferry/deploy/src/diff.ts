/**
 * diff: the local content tag against the live one, the normalised task-definition diff, and what
 * `deploy` would do. Pure over the plan; the entry script gathers the inputs.
 */
import { changedInputsSince, getProjectGraph, type AppDeployConfig, type ResolvedApp, type RunSession } from '@ferry/core';
import type { DeployPlan, LiveState } from './plan.ts';
import { shortTaskDefinition } from './rollout.ts';
import { serviceUrl } from './health.ts';
import { containerImage, imageTagOf, TAG_CONTENT, TAG_GIT_SHA, tagValue } from './task-definition.ts';

export interface DiffInput {
  plan: DeployPlan;
  localTag: string;
  /** Content tag of the live revision (ferry's tag, else the image tag); undefined with no service. */
  liveTag?: string;
  liveGitSha?: string;
  /** Whether the local tag is already in ECR (then deploy skips build-image and push). */
  imagePushed: boolean;
}

export interface DiffReport {
  /** Exit 0 when nothing would change, 2 when something would. */
  changed: boolean;
  lines: string[];
  /** The Nx target that brings the service to the local state. */
  next?: string;
}

export function diffReport(d: DiffInput): DiffReport {
  const { plan } = d;
  const lines: string[] = [];
  lines.push(`${plan.app}: local ${d.localTag}, live ${d.liveTag ?? '(no service)'}${d.liveGitSha ? ` (built from ${d.liveGitSha.slice(0, 12)})` : ''}`);
  const notes = (plan.notes ?? []).map((n) => `${plan.app}: ${n}`);
  if (plan.kind === 'up-to-date') {
    if (plan.scale) {
      lines.push(`${plan.app}: ${shortTaskDefinition(plan.taskDefinitionArn)} already runs this content; deploy would only set the desired count ${plan.scale.from} -> ${plan.scale.to} (no deployment).`, ...notes);
      return { changed: true, lines, next: `nx run ${plan.app}:deploy-app` };
    }
    lines.push(`${plan.app}: up to date; ${shortTaskDefinition(plan.taskDefinitionArn)} already runs this content. deploy would do nothing.`, ...notes);
    return { changed: false, lines };
  }
  if (plan.kind === 'watch') {
    lines.push(`${plan.app}: ${plan.deploymentId} is rolling out this content now; deploy-app would watch it.`, ...notes);
    return { changed: false, lines, next: `nx run ${plan.app}:health-check` };
  }
  const imageStep = d.imagePushed ? `${d.localTag} is already in ECR` : `${d.localTag} is not in ECR yet: build-image and push would run`;
  if (plan.kind === 'create-service') lines.push(`${plan.app}: service ${plan.service} does not exist; deploy would create it (${imageStep}).`);
  else lines.push(`${plan.app}: deploy would register a new revision and update ${plan.service}: ${plan.reasons.join('; ')} (${imageStep}).`);
  if (plan.migrate) {
    const m = plan.migrate;
    lines.push(`${plan.app}: before the service changes, deploy would run the migration once with the new revision: ${m.command.join(' ')} (timeout ${m.timeoutSeconds} s${m.fromTag ? `, content tag ${m.fromTag} -> ${d.localTag}` : ', new service'}).`);
  }
  if (plan.taskDefinitionDiff) lines.push('task definition (live -> local):', plan.taskDefinitionDiff);
  lines.push(...notes);
  return { changed: true, lines, next: d.imagePushed ? `nx run ${plan.app}:deploy-app` : `nx run ${plan.app}:deploy` };
}

/**
 * The content tag and git sha of the live revision: ferry's tags, else the image tag. When the
 * spec tag stood in for the revision (not read), the same two values recorded in it.
 */
export function liveTagOf(live: LiveState | null, app: AppDeployConfig): { tag?: string; gitSha?: string } {
  if (!live?.taskDef) return live?.spec ? { tag: live.spec.contentTag, gitSha: live.spec.gitSha } : {};
  const tags = live.taskDef.tags;
  return {
    tag: tagValue(tags, TAG_CONTENT) ?? imageTagOf(containerImage(live.taskDef.taskDefinition, app.containerName)),
    gitSha: tagValue(tags, TAG_GIT_SHA),
  };
}

/**
 * `diff --explain`: why the local tag differs from the live one. With the live image's git sha:
 * the input files changed since that commit (changedInputsSince). Without one, say so.
 */
export async function explainDiff(resolved: ResolvedApp, local: { tag: string }, live: { tag?: string; gitSha?: string }, session?: RunSession): Promise<string[]> {
  if (!live.tag) return ['explain: nothing is deployed yet, so every input is new'];
  if (live.tag === local.tag) return [`explain: the content tag is unchanged (${local.tag}); only the task-definition settings above can differ`];
  const sha = live.gitSha?.replace(/-dirty$/, '');
  if (!sha) return [`explain: the live revision records no git sha (not deployed by ferry?), so the change cannot be traced; local ${local.tag} vs live ${live.tag}`];
  const dirtyNote = live.gitSha?.endsWith('-dirty') ? ' (the live image was built from uncommitted changes on top of it)' : '';
  let files: string[];
  try {
    files = await changedInputsSince(resolved, await getProjectGraph(resolved.workspaceRoot, session), sha);
  } catch (e) {
    return [`explain: cannot compare with ${sha.slice(0, 12)}: ${(e as Error).message}`];
  }
  if (!files.length) return [`explain: no input file changed since ${sha.slice(0, 12)}${dirtyNote}; the difference is in build args, platform or tooling`];
  return [`explain: ${files.length} input file(s) changed since the live image's commit ${sha.slice(0, 12)}${dirtyNote}:`, ...files.slice(0, 50).map((f) => `  ${f}`), ...(files.length > 50 ? [`  … and ${files.length - 50} more`] : [])];
}

/** The one line `deploy` ends with: where the app runs, which content, which revision. */
export function deploySummary(live: LiveState | null, resolved: ResolvedApp): { line: string; url?: string; tag?: string; revision?: string } {
  const { app, env } = resolved;
  if (!live) return { line: `${app.service} is not running in ${env.name}` };
  const url = serviceUrl(live.service, env, app);
  const { tag } = liveTagOf(live, app);
  const revision = shortTaskDefinition(live.taskDef?.taskDefinition.taskDefinitionArn ?? live.spec?.taskDefinitionArn ?? live.service.taskDefinition);
  const line = `${env.name}: ${revision} runs ${tag ?? 'an unknown image'}, ${live.service.runningCount}/${live.service.desiredCount} tasks${url ? ` at ${url}` : ''}`;
  return { line, url, tag, revision };
}
