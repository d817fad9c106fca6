/**
 * diff: the local content tag against the live one, the normalised task-definition diff, and what
 * `deploy` would do. Pure over the plan; the entry script gathers the inputs.
 */
import type { DeployPlan } from './plan.ts';
import { shortTaskDefinition } from './rollout.ts';

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
  if (plan.kind === 'up-to-date') {
    lines.push(`${plan.app}: up to date; ${shortTaskDefinition(plan.taskDefinitionArn)} already runs this content. deploy would do nothing.`);
    return { changed: false, lines };
  }
  if (plan.kind === 'watch') {
    lines.push(`${plan.app}: ${plan.deploymentId} is rolling out this content now; deploy-app would watch it.`);
    return { changed: false, lines, next: `nx run ${plan.app}:health-check` };
  }
  const imageStep = d.imagePushed ? `${d.localTag} is already in ECR` : `${d.localTag} is not in ECR yet: build-image and push would run`;
  if (plan.kind === 'create-service') lines.push(`${plan.app}: service ${plan.service} does not exist; deploy would create it (${imageStep}).`);
  else lines.push(`${plan.app}: deploy would register a new revision and update ${plan.service}: ${plan.reasons.join('; ')} (${imageStep}).`);
  if (plan.taskDefinitionDiff) lines.push('task definition (live -> local):', plan.taskDefinitionDiff);
  return { changed: true, lines, next: d.imagePushed ? `nx run ${plan.app}:deploy-app` : `nx run ${plan.app}:deploy` };
}
