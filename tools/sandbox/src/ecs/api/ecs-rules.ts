/**
 * ECS rules a deploy relies on that the service model alone does not state (the model checks types,
 * enums, lengths and patterns before any handler runs; see model-validation.ts). Each rule names its
 * source; each refusal uses ECS's exception and, where known, its wording.
 */
import type { Tag } from '../model.ts';
import { client, invalid } from './common.ts';

/**
 * Fargate task sizes (Linux): task-level cpu units → allowed memory (MiB).
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
 */
const FARGATE_SIZES: [cpu: number, from: number, to: number, step: number][] = [
  [256, 512, 2048, 0], // 512, 1024, 2048
  [512, 1024, 4096, 1024],
  [1024, 2048, 8192, 1024],
  [2048, 4096, 16384, 1024],
  [4096, 8192, 30720, 1024],
  [8192, 16384, 61440, 4096],
  [16384, 32768, 122880, 8192],
];

/** Task-level cpu as units ("256", "0.25 vCPU", "1 vCPU"), or undefined when it is not one. */
export function cpuUnits(v: unknown): number | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const s = String(v).trim();
  const m = /^([\d.]+)\s*vcpu$/i.exec(s);
  const n = m ? Number(m[1]) * 1024 : /^\d+$/.test(s) ? Number(s) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** Task-level memory in MiB ("512", "1 GB", "0.5GB"), or undefined when it is not one. */
export function memoryMiB(v: unknown): number | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const s = String(v).trim();
  const m = /^([\d.]+)\s*gb$/i.exec(s);
  const n = m ? Number(m[1]) * 1024 : /^\d+$/.test(s) ? Number(s) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** Whether (cpu units, memory MiB) is a Fargate task size. */
export function isFargateSize(cpu: number, memory: number): boolean {
  const row = FARGATE_SIZES.find(([c]) => c === cpu);
  if (!row) return false;
  const [, from, to, step] = row;
  if (memory < from || memory > to) return false;
  return step === 0 ? [512, 1024, 2048].includes(memory) : (memory - from) % step === 0;
}

/** A RegisterTaskDefinition request as the Fargate rules read it. */
export interface FargateInput {
  requiresCompatibilities?: unknown;
  cpu?: unknown;
  memory?: unknown;
  executionRoleArn?: unknown;
  containerDefinitions?: { name?: string; logConfiguration?: { logDriver?: string }; secrets?: unknown[] }[];
}

/**
 * Container secrets need the task execution role, whatever the launch type (the agent fetches them
 * with it). ECS's ClientException, as field reports quote it:
 * https://github.com/fabfuel/ecs-deploy/issues/87,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/specifying-sensitive-data.html.
 */
export function checkSecretsNeedExecutionRole(td: FargateInput): void {
  const secrets = (td.containerDefinitions ?? []).some((c) => Array.isArray(c?.secrets) && c.secrets.length > 0);
  if (secrets && !td.executionRoleArn) throw client("When you are specifying container secrets, you must also specify a value for 'executionRoleArn'.");
}

/**
 * An awsvpc task definition needs networkConfiguration on CreateService (and RunTask): ECS's
 * InvalidParameterException "Network Configuration must be provided when networkMode 'awsvpc' is
 * specified." (CreateService API reference, networkConfiguration: "required for task definitions
 * that use the awsvpc network mode"; the message as quoted in
 * https://github.com/tryretool/retool-onpremise/pull/84).
 */
export function awsvpcNetworkRefusal(networkMode: string | undefined, networkConfiguration: unknown): string | undefined {
  if (networkMode !== 'awsvpc') return undefined;
  const vpc = (networkConfiguration as { awsvpcConfiguration?: { subnets?: unknown[] } } | undefined)?.awsvpcConfiguration;
  if (vpc && Array.isArray(vpc.subnets) && vpc.subnets.length > 0) return undefined;
  return "Network Configuration must be provided when networkMode 'awsvpc' is specified.";
}

/**
 * What ECS refuses in a task definition that requires FARGATE (ClientException, as ECS answers
 * RegisterTaskDefinition):
 * - task-level cpu and memory are required, and must be one of the Fargate task sizes;
 * - the `awslogs` log driver needs `executionRoleArn` (the agent pulls credentials for CloudWatch Logs).
 * Sources: the task-size table above; "Fargate requires task definition to have execution role ARN
 * to support log driver awslogs." (ECS's error) and
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html.
 */
export function checkFargateTaskDefinition(td: FargateInput): void {
  const compat = Array.isArray(td.requiresCompatibilities) ? td.requiresCompatibilities : [];
  if (!compat.includes('FARGATE')) return;
  if (td.cpu === undefined || td.cpu === null || td.cpu === '') throw client("Fargate requires that 'cpu' be defined at the task level.");
  if (td.memory === undefined || td.memory === null || td.memory === '') throw client("Fargate requires that 'memory' be defined at the task level.");
  const cpu = cpuUnits(td.cpu);
  const memory = memoryMiB(td.memory);
  if (cpu === undefined || memory === undefined || !isFargateSize(cpu, memory))
    throw client(
      `No Fargate configuration exists for given values: ${String(td.cpu)} CPU, ${String(td.memory)} memory. See the Amazon ECS documentation for the valid values (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size).`,
    );
  const awslogs = (td.containerDefinitions ?? []).some((c) => c?.logConfiguration?.logDriver === 'awslogs');
  if (awslogs && !td.executionRoleArn) throw client('Fargate requires task definition to have execution role ARN to support log driver awslogs.');
}

/**
 * User tags: at most 50 per resource, key 1–128 and value 0–256 characters (the model's `Tags`,
 * `TagKey`, `TagValue`), and no `aws:` prefix in any letter case, which AWS reserves
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-using-tags.html#tag-restrictions).
 */
export function checkUserTags(tags: Tag[]): void {
  for (const t of tags) {
    if (/^aws:/i.test(t.key)) throw invalid(`Tag key '${t.key}' uses the reserved prefix 'aws:'; keys and values beginning with 'aws:' are reserved for AWS use.`);
    if (t.value.length > 256) throw invalid(`Tag value of '${t.key}' is longer than 256 characters.`);
  }
  if (tags.length > 50) throw invalid('A resource can have at most 50 user tags.');
}

/**
 * UpdateService deploys through the service's deployment controller; for CODE_DEPLOY and EXTERNAL
 * it does not: "Unable to update task definition on services with a CODE_DEPLOY deployment
 * controller. Use AWS CodeDeploy to trigger a new deployment." (ECS's InvalidParameterException;
 * model `DeploymentController`: CODE_DEPLOY deploys through CodeDeploy, EXTERNAL through task sets).
 */
export function deploymentControllerRefusal(type: string): string {
  const next = type === 'CODE_DEPLOY' ? 'Use AWS CodeDeploy to trigger a new deployment.' : 'Use CreateTaskSet to deploy a new task set.';
  return `Unable to update task definition on services with a ${type} deployment controller. ${next}`;
}
