/**
 * The naive baseline: what a hand-rolled deploy script does for every app on every run, whether or
 * not anything changed — `docker build`, `docker push`, register a task definition with the new
 * image, UpdateService, then wait with the SDK's `waitUntilServicesStable` (minDelay 15 s, the
 * generated default). The docker CLI and the AWS SDK, directly against the sandbox.
 */
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  waitUntilServicesStable,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { CreateRepositoryCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './run.ts';

export interface BaselineOptions {
  root: string;
  apps: string[];
  endpoint: string;
  registry: string;
  baseImage: string;
  cluster: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Apps deployed at once (a script's `xargs -P`); 1 = the usual for-loop. */
  parallel: number;
  dockerConfig: string;
}

export interface BaselineAppTiming {
  app: string;
  buildMs: number;
  pushMs: number;
  registerUpdateMs: number;
  waitMs: number;
}

/** Login (once, like a CI job) and the baseline's own repositories; not timed. */
export async function prepareBaseline(o: BaselineOptions): Promise<void> {
  const ecr = new ECRClient({ endpoint: o.endpoint, region: 'us-east-1', credentials: o.credentials });
  for (const app of o.apps) {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: `baseline/${app}` })).catch((e: Error) => {
      if (e.name !== 'RepositoryAlreadyExistsException') throw e;
    });
  }
  const auth = await ecr.send(new GetAuthorizationTokenCommand({}));
  const [user, password] = Buffer.from(auth.authorizationData![0].authorizationToken!, 'base64').toString('utf8').split(':');
  mkdirSync(o.dockerConfig, { recursive: true });
  await run('docker', ['login', '--username', user, '--password-stdin', o.registry], { cwd: o.root, env: { ...process.env, DOCKER_CONFIG: o.dockerConfig }, input: password });
}

const READ_ONLY = new Set(['taskDefinitionArn', 'revision', 'status', 'requiresAttributes', 'compatibilities', 'registeredAt', 'registeredBy', 'deregisteredAt', 'deleteRequestedAt']);

/** Deploys every app the naive way; returns per-app phase timings. */
export async function runBaseline(o: BaselineOptions, tag: string): Promise<BaselineAppTiming[]> {
  const ecs = new ECSClient({ endpoint: o.endpoint, region: 'us-east-1', credentials: o.credentials });
  const env = { ...process.env, DOCKER_CONFIG: o.dockerConfig };
  const one = async (app: string): Promise<BaselineAppTiming> => {
    const image = `${o.registry}/baseline/${app}:${tag}`;
    let t = performance.now();
    await run('docker', ['build', '-q', '-t', image, '--build-arg', `BASE_IMAGE=${o.baseImage}`, join(o.root, 'apps', app)], { cwd: o.root, env });
    const buildMs = performance.now() - t;
    t = performance.now();
    await run('docker', ['push', '-q', image], { cwd: o.root, env });
    const pushMs = performance.now() - t;
    t = performance.now();
    const svc = (await ecs.send(new DescribeServicesCommand({ cluster: o.cluster, services: [app] }))).services![0];
    const td = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition!, include: ['TAGS'] })));
    const input = Object.fromEntries(Object.entries(td.taskDefinition!).filter(([k]) => !READ_ONLY.has(k))) as RegisterTaskDefinitionCommandInput;
    input.containerDefinitions = input.containerDefinitions!.map((c, i) => (i === 0 ? { ...c, image } : c));
    if (td.tags?.length) input.tags = td.tags;
    const registered = await ecs.send(new RegisterTaskDefinitionCommand(input));
    await ecs.send(new UpdateServiceCommand({ cluster: o.cluster, service: app, taskDefinition: registered.taskDefinition!.taskDefinitionArn! }));
    const registerUpdateMs = performance.now() - t;
    t = performance.now();
    await waitUntilServicesStable({ client: ecs, maxWaitTime: 900 }, { cluster: o.cluster, services: [app] });
    return { app, buildMs, pushMs, registerUpdateMs, waitMs: performance.now() - t };
  };
  const results: BaselineAppTiming[] = [];
  const queue = [...o.apps];
  await Promise.all(
    Array.from({ length: Math.max(1, o.parallel) }, async () => {
      for (let app = queue.shift(); app; app = queue.shift()) results.push(await one(app));
    }),
  );
  return results;
}
