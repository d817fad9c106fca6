/**
 * The target set ferry infers for a deployable project, as pure data: the plugin entry reads the
 * files, this builds the targets, the tests compare the whole set.
 */
import type { TargetConfiguration, TargetDependencyConfig } from '@nx/devkit';

/** Options accepted in nx.json: `{ "plugin": "./tools/nx-plugin/src/index.ts", "options": {...} }`. */
export interface FerryPluginOptions {
  /** Folder of the entry scripts, relative to the workspace root. Default `scripts`. */
  scriptsDir?: string;
}

/** The targets a project with a deploy.json gets, in pipeline order where there is one. */
export const FERRY_TARGETS = [
  'build-image',
  'push',
  'deploy-app',
  'health-check',
  'smoke-test',
  'diff',
  'rollback',
  'deploy',
] as const;
export type FerryTarget = (typeof FERRY_TARGETS)[number];

/** `deploy` runs this chain; each step depends on the one before it. */
export const DEPLOY_CHAIN = ['build-image', 'push', 'deploy-app', 'health-check', 'smoke-test'] as const;

const DESCRIPTIONS: Record<FerryTarget, string> = {
  'build-image':
    'Build the container image tagged with the content tag; skipped when the registry already has that tag.',
  push: 'Push the image to the environment registry (ECR); skipped when the tag is already there.',
  'deploy-app':
    'Register a task definition revision with the new image and update the ECS service; waits for the rollout and rolls back on failure.',
  'health-check': 'Check the running service: its HTTP health endpoint, or the container health of a worker.',
  'smoke-test': "Run deploy.json's smoke checks against the service URL.",
  diff: 'Show what deploy-app would change (task definition and service), without changing anything.',
  rollback: 'Point the service back at the previous task definition revision and wait for it.',
  deploy: 'Build, push, deploy, health-check and smoke-test this app (the whole chain).',
};

export interface DeployTargetsInput {
  /** The project declares its own `build` target; build-image and diff then depend on it. */
  hasBuild: boolean;
  /** Environment names from ferry.json: each becomes a configuration passing `--env=<name>`. */
  environments: readonly string[];
  options?: FerryPluginOptions;
}

/** The inferred targets of one deployable project. Pure: the same input gives the same targets. */
export function deployTargets(input: DeployTargetsInput): Record<FerryTarget, TargetConfiguration> {
  const scriptsDir = (input.options?.scriptsDir ?? 'scripts').replace(/\/+$/, '');
  const configurations = Object.fromEntries(input.environments.map((env) => [env, { env }]));
  const build: TargetDependencyConfig[] = input.hasBuild ? [{ target: 'build', params: 'ignore' }] : [];
  const after = (target: FerryTarget): TargetDependencyConfig[] => [{ target, params: 'forward' }];

  const script = (
    name: Exclude<FerryTarget, 'deploy'>,
    dependsOn: TargetDependencyConfig[],
    extra: Partial<TargetConfiguration> = {},
  ): TargetConfiguration => ({
    executor: 'nx:run-commands',
    options: {
      // Relative to cwd: Nx only allows {workspaceRoot} at the start of an option.
      command: `node --import tsx ${scriptsDir}/${name}.ts --project={projectName}`,
      cwd: '{workspaceRoot}',
      forwardAllArgs: true,
    },
    configurations,
    cache: false,
    dependsOn,
    ...extra,
    metadata: { description: DESCRIPTIONS[name], technologies: ['docker', 'aws-ecs'] },
  });

  return {
    'build-image': script('build-image', build, {
      // Not cached on purpose: the registry and the Docker daemon are the truth, and the script
      // itself skips the build when the content tag already exists. The inputs still document
      // what reaches the image.
      inputs: ['production', '^production', '{projectRoot}/deploy.json', '{workspaceRoot}/ferry.json'],
    }),
    push: script('push', after('build-image')),
    'deploy-app': script('deploy-app', after('push')),
    'health-check': script('health-check', after('deploy-app')),
    'smoke-test': script('smoke-test', after('health-check')),
    // diff needs the bundle (the content tag is a hash of it) but no image.
    diff: script('diff', build),
    rollback: script('rollback', []),
    deploy: {
      executor: 'nx:noop',
      configurations,
      cache: false,
      dependsOn: after('smoke-test'),
      metadata: { description: DESCRIPTIONS.deploy, technologies: ['docker', 'aws-ecs'] },
    },
  };
}
