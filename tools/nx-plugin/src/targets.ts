/**
 * The target set ferry infers for a deployable project, as pure data: the plugin entry reads the
 * files, this builds the targets, the tests compare the whole set.
 */
import type { TargetConfiguration, TargetDependencyConfig } from '@nx/devkit';
import { SCRIPT_EXECUTOR_NAME } from './mode.ts';

/** Options accepted in nx.json: `{ "plugin": "./tools/nx-plugin/src/index.cjs", "options": {...} }`. */
export interface FerryPluginOptions {
  /**
   * Folder of the entry scripts (`<name>.ts`, run with tsx), relative to the workspace root.
   * Default: `scripts` in this repository; the bundled scripts of the npm package when installed.
   */
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
  'promote',
  'deploy',
  'history',
  'run',
  'logs',
  'verify',
] as const;
export type FerryTarget = (typeof FERRY_TARGETS)[number];

/**
 * Runs the entry script of a target with `--project=<name>` and the options as flags (see
 * executor.ts for why not nx:run-commands). In this repository `./tools/nx-plugin:script` (resolved
 * by Nx from tools/nx-plugin/package.json); from the npm package `@ferry/nx:script` (mode.ts).
 */
export const SCRIPT_EXECUTOR = SCRIPT_EXECUTOR_NAME;

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
  promote: 'Deploy to --to the exact image digest that runs in --from (copied to the target registry when it differs); no build.',
  history: 'Show who deployed which tag and git revision of this service, when, and the result (from ECS).',
  logs: "Show the app's container logs from CloudWatch Logs, each line prefixed by its task (--since, --follow, --task, --filter).",
  run: "Run a one-off task with the app's image (--command '<command line>'): output streamed, the container's exit code passed on.",
  deploy: 'Build, push, deploy, health-check and smoke-test this app (the whole chain), then print where it runs.',
  verify: 'Check that a deploy can succeed (account, cluster, repository, execution role, target group, Fargate size, network): every problem at once, with its fix, before anything is built.',
};

export interface DeployTargetsInput {
  /** Apps whose deploy-app must run first (`${app:<project>.url}` references in deploy.json). */
  deployAfter?: string[];
  /** Environment names from ferry.json: each becomes a configuration passing `--env=<name>`. */
  environments: readonly string[];
  options?: FerryPluginOptions;
}

/** The inferred targets of one deployable project. Pure: the same input gives the same targets. */
export function deployTargets(input: DeployTargetsInput): Record<FerryTarget, TargetConfiguration> {
  const scriptsDir = (input.options?.scriptsDir ?? 'scripts').replace(/\/+$/, '');
  const configurations = Object.fromEntries(input.environments.map((env) => [env, { env }]));
  // Nx skips a same-project dependsOn whose target does not exist, so an app without a build
  // target (a Dockerfile that builds everything itself) works, and a build inferred by another
  // plugin is still honoured. Params are not forwarded: build knows nothing of --env.
  const build: TargetDependencyConfig[] = [{ target: 'build', params: 'ignore' }];
  const after = (target: FerryTarget): TargetDependencyConfig[] => [{ target, params: 'forward' }];

  const script = (
    name: FerryTarget,
    dependsOn: TargetDependencyConfig[],
  ): TargetConfiguration => ({
    executor: SCRIPT_EXECUTOR,
    options: input.options?.scriptsDir ? { script: name, scriptsDir } : { script: name },
    configurations,
    cache: false,
    dependsOn,
    metadata: { description: DESCRIPTIONS[name], technologies: ['docker', 'aws-ecs'] },
  });

  return {
    // Not cached on purpose: the registry and the Docker daemon are the truth, and the script skips
    // the build itself when the content tag already exists. No inputs either: they would only feed
    // a hash nobody reads, and a named input such as `production` may not exist in every workspace.
    // No dependsOn `build`: build-image runs the app's build itself when it builds an image
    // (libs/ferry/targets/src/app-builds.ts). As an Nx dependency, the apps' builds finishing at
    // different times split a run into one batch per app, and Nx runs batches one at a time.
    'build-image': script('build-image', []),
    push: script('push', after('build-image')),
    // After the deploy-app of the apps this one references (`${app:<project>.url}` in its environment):
    // a task-graph edge only. A project-graph edge would make the referenced app's sources part of
    // this app's content tag (and `nx affected`), which a URL is not.
    'deploy-app': script('deploy-app', [...after('push'), ...(input.deployAfter?.length ? [{ target: 'deploy-app', projects: input.deployAfter, params: 'forward' as const }] : [])]),
    'health-check': script('health-check', after('deploy-app')),
    'smoke-test': script('smoke-test', after('health-check')),
    // diff needs the bundle (the content tag is a hash of it) but no image.
    diff: script('diff', build),
    rollback: script('rollback', []),
    // Never builds: the image is the one that runs in --from, copied by digest.
    promote: script('promote', []),
    // The chain runs through dependsOn; scripts/deploy.ts then prints where the app runs.
    deploy: script('deploy', after('smoke-test')),
    history: script('history', []),
    // A one-off task needs its image in the registry; it never builds or pushes (a command with
    // side effects must not hide behind a build).
    run: script('run', []),
    logs: script('logs', []),
    // Reads the environment only: no build, no image.
    verify: script('verify', []),
  };
}
