/**
 * `nx g @ferry/nx:import <project> --cluster <c> --service <s> --env <e> [--template]`: reads a live
 * ECS service through ferry's ECS port (DescribeServices, DescribeTaskDefinition; the sandbox's
 * endpoint for a sandbox environment) and writes the project's deploy.json, and with `--template`
 * the task definition template it names, so that the first deploy of the unchanged image is a
 * no-op. The decisions are libs/ferry/deploy/src/import.ts (pure); this file reads and writes.
 * An existing deploy.json (or template) is never overwritten without `--force`.
 */
import { logger, type Tree } from '@nx/devkit';
import { posix } from 'node:path';
import { createAwsClients, createEcsPort, type EcsPort } from '@ferry/aws';
import { FerryError, loadWorkspaceConfig, type EnvironmentConfig } from '@ferry/core';
import { checkImportCluster, DEFAULT_TEMPLATE_FILE, importService } from '../../../../libs/ferry/deploy/src/import.ts';
import { PACKAGE_NAME } from '../mode.ts';
import { projectRootOf } from './app.ts';

export interface ImportOptions {
  project: string;
  cluster: string;
  service: string;
  env?: string;
  template?: boolean;
  templateFile?: string;
  container?: string;
  force?: boolean;
}

/** How the generator reaches ECS: ferry's port for the environment (a test may pass its own client's). */
export type EcsFor = (env: EnvironmentConfig) => EcsPort;
const ferryEcs: EcsFor = (env) => createEcsPort(createAwsClients(env).ecs);

export async function importGenerator(tree: Tree, options: ImportOptions, ecsFor: EcsFor = ferryEcs): Promise<void> {
  const root = projectRootOf(tree, options.project);
  const deployFile = posix.join(root, 'deploy.json');
  const templateFile = options.templateFile ?? DEFAULT_TEMPLATE_FILE;
  const templatePath = posix.join(root, templateFile);
  for (const f of [deployFile, ...(options.template ? [templatePath] : [])]) {
    if (tree.exists(f) && !options.force) throw new Error(`ferry: ${f} already exists; nothing was written. Pass --force to overwrite it, or remove it first.`);
  }
  const ws = loadWorkspaceConfig(tree.root);
  const envName = options.env ?? ws.defaultEnvironment;
  const env = ws.environments[envName];
  if (!env) throw new Error(`ferry: no environment ${JSON.stringify(envName)} in ferry.json (known: ${Object.keys(ws.environments).join(', ')}). Pass --env with one of them.`);
  checkImportCluster(options.cluster, env);
  const ecs = ecsFor(env);
  const { services } = await ecs.describeServices(env.cluster, [options.service]);
  const service = services.find((s) => s.serviceName === options.service && s.status !== 'INACTIVE');
  if (!service) throw new FerryError('NOT_FOUND', `ferry: no active service ${options.service} in cluster ${env.cluster} (environment ${env.name}); nothing was written.`);
  const arn = service.deployments?.find((d) => d.status === 'PRIMARY')?.taskDefinition ?? service.taskDefinition;
  if (!arn) throw new FerryError('NOT_FOUND', `ferry: service ${options.service} runs no task definition; nothing was written.`);
  const taskDef = await ecs.describeTaskDefinition(arn);
  const toWorkspace = posix.relative(root, '.') || '.';
  const schema = posix.join(toWorkspace, PACKAGE_NAME ? `node_modules/${PACKAGE_NAME}/schema/deploy.schema.json` : 'libs/ferry/core/schema/deploy.schema.json');
  const result = importService({ project: options.project, env, service, taskDef, template: !!options.template, templateFile, container: options.container, schema });
  tree.write(deployFile, `${JSON.stringify(result.deployJson, null, 2)}\n`);
  logger.info(`ferry: ${deployFile}: written from service ${options.service} (${arn.replace(/^.*:task-definition\//, '')})`);
  if (result.template) {
    tree.write(templatePath, `${JSON.stringify(result.template.json, null, 2)}\n`);
    logger.info(`ferry: ${templatePath}: the task definition as a template (the app container's image is \${image})`);
  }
  for (const note of result.notes) logger.info(`ferry: ${options.project}: ${note}`);
  logger.info(`ferry: next: nx run ${options.project}:diff -c ${env.name} (expect no change once the image is built from the same sources)`);
}

export default importGenerator;
