/**
 * ECS, ECR, CloudWatch Logs, Application Auto Scaling, STS and ELBv2 clients for one ferry
 * environment. All talk to the sandbox (kind `sandbox`: its endpoint, dummy static credentials) or
 * to real AWS (kind `aws`: the SDK's standard credential chain) through the same code path. ECS and
 * ECR, which every deploy calls, are made with the pool entry; the other four ports load their SDK
 * module and make their client on their first call (`lazyPort`): a no-op deploy calls none of them,
 * and loading them cost the batch worker a third of its start-up (docs/performance.md). Two
 * failures are turned into FerryErrors here so that every caller reports them the same way: no credentials (AWS_CREDENTIALS) and nothing listening at the
 * endpoint (AWS_ERROR naming the endpoint and `npm run sandbox:up`).
 *
 * Within a run, clients come from the session's pool (`session.use(awsClients)`); createAwsClients
 * makes a new set (tests, one-off tools).
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { FerryError, runSecrets, SANDBOX_UP, sessionPart, type EnvironmentConfig, type RunSession } from '@ferry/core';
import { ecrPort, registryAccountOf, registryIdFor, type EcrPort } from './ecr.ts';
import { createEcsPort, type EcsPort } from './ecs.ts';
import { LiveEcsCache, readThroughEcs } from './live-ecs.ts';
import type { LogsPort } from './logs.ts';
import type { ScalingPort } from './scaling.ts';
import type { IdentityPort } from './identity.ts';
import type { ElbPort } from './elbv2.ts';
import { isConnectionError } from './errors.ts';

/** The SDK clients every deploy calls (the other services are reached through their lazy ports). */
export interface AwsClients {
  ecs: ECSClient;
  ecr: ECRClient;
  /** Where the API calls go (`undefined`: the AWS default endpoints). For messages. */
  endpoints: { ecs?: string; ecr?: string; logs?: string; autoscaling?: string; sts?: string; elbv2?: string };
}

export interface AwsClientOptions {
  /** Process environment to read AWS_* variables from (default `process.env`). */
  processEnv?: NodeJS.ProcessEnv;
  /** Total attempts per call, including the first (default AWS_MAX_ATTEMPTS or 8). */
  maxAttempts?: number;
}

/** Static credentials the sandbox accepts; it does not check signatures. */
const SANDBOX_CREDENTIALS = { accessKeyId: 'ferry-sandbox', secretAccessKey: 'ferry-sandbox' };
const DEFAULT_MAX_ATTEMPTS = 8;

/** The SDK's service-specific endpoint variable suffix (AWS_ENDPOINT_URL_<id>). */
const ENDPOINT_ID = { ecs: 'ECS', ecr: 'ECR', logs: 'CLOUDWATCH_LOGS', autoscaling: 'APPLICATION_AUTO_SCALING', sts: 'STS', elbv2: 'ELASTIC_LOAD_BALANCING_V2' } as const;

/** Endpoint for one service: AWS_ENDPOINT_URL_<SERVICE> > AWS_ENDPOINT_URL > the environment's `endpoint`. */
export function endpointFor(service: keyof typeof ENDPOINT_ID, env: EnvironmentConfig, processEnv: NodeJS.ProcessEnv = process.env): string | undefined {
  if (processEnv.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true') return env.endpoint || undefined;
  return processEnv[`AWS_ENDPOINT_URL_${ENDPOINT_ID[service]}`] || processEnv.AWS_ENDPOINT_URL || env.endpoint || undefined;
}

const endpointsFor = (env: EnvironmentConfig, processEnv: NodeJS.ProcessEnv) => ({
  ecs: endpointFor('ecs', env, processEnv),
  ecr: endpointFor('ecr', env, processEnv),
  logs: endpointFor('logs', env, processEnv),
  autoscaling: endpointFor('autoscaling', env, processEnv),
  sts: endpointFor('sts', env, processEnv),
  elbv2: endpointFor('elbv2', env, processEnv),
});

/**
 * The profile for an `aws` environment: AWS_PROFILE (the caller's explicit choice), else ferry.json's
 * `profile` — unless the process already carries credentials (CI: access keys, OIDC web identity, a
 * container role). The SDK skips environment credentials whenever a profile is set, so passing the
 * ferry.json profile there would break CI jobs that have no such profile.
 */
export function profileFor(env: EnvironmentConfig, processEnv: NodeJS.ProcessEnv = process.env): string | undefined {
  if (processEnv.AWS_PROFILE) return processEnv.AWS_PROFILE;
  const ambient =
    (processEnv.AWS_ACCESS_KEY_ID && processEnv.AWS_SECRET_ACCESS_KEY) ||
    processEnv.AWS_WEB_IDENTITY_TOKEN_FILE ||
    processEnv.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI ||
    processEnv.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  return ambient ? undefined : env.profile || undefined;
}

export function createAwsClients(env: EnvironmentConfig, opts: AwsClientOptions = {}): AwsClients {
  const processEnv = opts.processEnv ?? process.env;
  const maxAttempts = opts.maxAttempts ?? (Number(processEnv.AWS_MAX_ATTEMPTS) || DEFAULT_MAX_ATTEMPTS);
  const region = env.region || processEnv.AWS_REGION || 'us-east-1';
  const endpoints = endpointsFor(env, processEnv);
  return makeClients(env, processEnv, maxAttempts, region, endpoints);
}

/**
 * The session's AWS clients: one set per environment's account, Region, endpoint and profile, so
 * every task of a run shares connections and, above all, one adaptive-retry rate limiter per
 * account and Region instead of one per app, which is what keeps a fan-out of many apps inside the
 * API's rate limits. The ports it hands out carry the run's caches: the read-through cache of live
 * ECS state (live-ecs.ts) and the ECR images found so far; the ECR port adds every registry token
 * it obtains to the run's secrets (`runSecrets`).
 */
export class AwsClientPool {
  private readonly sets = new Map<string, { clients: AwsClients; live: LiveEcsCache; ecs: EcsPort; ecr: EcrPort; logs: LogsPort; scaling: ScalingPort; identity: IdentityPort; elbv2: ElbPort }>();
  constructor(private readonly session: Pick<RunSession, 'env' | 'clock' | 'use'>) {}

  private entry(env: EnvironmentConfig) {
    const processEnv = this.session.env;
    const maxAttempts = Number(processEnv.AWS_MAX_ATTEMPTS) || DEFAULT_MAX_ATTEMPTS;
    const region = env.region || processEnv.AWS_REGION || 'us-east-1';
    const endpoints = endpointsFor(env, processEnv);
    const key = JSON.stringify([env, region, endpoints, maxAttempts, env.kind === 'sandbox' ? '' : profileFor(env, processEnv)]);
    let set = this.sets.get(key);
    if (!set) {
      const clients = makeClients(env, processEnv, maxAttempts, region, endpoints);
      const live = new LiveEcsCache(this.session.clock);
      const config = (service: Service) => clientConfig(env, processEnv, maxAttempts, region, endpoints[service]);
      const translated = <C extends TranslatableClient>(client: C, service: Service): C => {
        installErrorTranslation(client, env, endpoints[service], processEnv);
        return client;
      };
      const identity = lazyPort<IdentityPort>({ caller: true }, async () => {
        const [{ STSClient }, { identityPort }] = await Promise.all([import('@aws-sdk/client-sts').then(commonJs), import('./identity.ts')]);
        return identityPort(translated(new STSClient(config('sts')), 'sts'));
      });
      // A registry in another account than the caller's (ferry.json `registry` host or accountId): ECR calls name it.
      const registryAccount = registryAccountOf(env);
      const registryId = registryAccount ? async () => registryIdFor(registryAccount, (await identity.caller()).account) : undefined;
      const logs = lazyPort<LogsPort>({ ensureLogGroup: true, lastEvents: true, readStream: true, filterEvents: true }, async () => {
        const [{ CloudWatchLogsClient }, { logsPort }] = await Promise.all([import('@aws-sdk/client-cloudwatch-logs').then(commonJs), import('./logs.ts')]);
        return logsPort(translated(new CloudWatchLogsClient(config('logs')), 'logs'));
      });
      const scaling = lazyPort<ScalingPort>({ serviceTarget: true, servicePolicies: true, registerTarget: true, putPolicy: true, deletePolicy: true, targetTags: true, scheduledActions: true, deregisterTarget: true }, async () => {
        const [{ ApplicationAutoScalingClient }, { scalingPort }] = await Promise.all([import('@aws-sdk/client-application-auto-scaling').then(commonJs), import('./scaling.ts')]);
        return scalingPort(translated(new ApplicationAutoScalingClient(config('autoscaling')), 'autoscaling'));
      });
      const elbv2 = lazyPort<ElbPort>({ describeTargetGroup: true, timing: true, url: true, targetHealth: true, findTargetGroup: true, provision: true }, async () => {
        const [{ ElasticLoadBalancingV2Client }, { elbPort }] = await Promise.all([import('@aws-sdk/client-elastic-load-balancing-v2').then(commonJs), import('./elbv2.ts')]);
        return elbPort(translated(new ElasticLoadBalancingV2Client(config('elbv2')), 'elbv2'));
      });
      set = { clients, live, ecs: readThroughEcs(createEcsPort(clients.ecs), live), ecr: ecrPort(clients.ecr, { rememberFound: true, registryId, secrets: this.session.use(runSecrets) }), logs, scaling, identity, elbv2 };
      this.sets.set(key, set);
    }
    return set;
  }

  /** The SDK clients of `env`. */
  clients(env: EnvironmentConfig): AwsClients {
    return this.entry(env).clients;
  }

  /** The ECS port of `env`, reading through the run's cache of live ECS state. */
  ecs(env: EnvironmentConfig): EcsPort {
    return this.entry(env).ecs;
  }

  /** The run's cache of live ECS state for `env` (what its ECS port reads through). */
  liveEcs(env: EnvironmentConfig): LiveEcsCache {
    return this.entry(env).live;
  }

  /** The ECR port of `env`; images found once are not asked for again in this run. */
  ecr(env: EnvironmentConfig): EcrPort {
    return this.entry(env).ecr;
  }

  /** The CloudWatch Logs port of `env`. */
  logs(env: EnvironmentConfig): LogsPort {
    return this.entry(env).logs;
  }

  /** Whose credentials `env` uses (sts:GetCallerIdentity, asked once per run). */
  identity(env: EnvironmentConfig): IdentityPort {
    return this.entry(env).identity;
  }

  /** The Application Auto Scaling port of `env`. */
  scaling(env: EnvironmentConfig): ScalingPort {
    return this.entry(env).scaling;
  }

  /** The ELBv2 port of `env`; target group timings and URLs are read once per run. */
  elbv2(env: EnvironmentConfig): ElbPort {
    return this.entry(env).elbv2;
  }
}

/** The run's AWS clients (see AwsClientPool). */
export const awsClients = sessionPart('AWS clients', (s) => new AwsClientPool(s));

/** The services ferry calls, by their key in ENDPOINT_ID and AwsClients['endpoints']. */
type Service = keyof typeof ENDPOINT_ID;

/** The configuration of one SDK client of an environment: every service's the same but its endpoint. */
function clientConfig(env: EnvironmentConfig, processEnv: NodeJS.ProcessEnv, maxAttempts: number, region: string, endpoint: string | undefined) {
  return {
    ...(endpoint ? { endpoint } : {}),
    region,
    // Adaptive adds client-side rate limiting on top of standard retries: bursts of
    // ThrottlingException (real ECS under load, or the sandbox's fault injection) are ridden out.
    retryMode: 'adaptive',
    maxAttempts,
    ...(env.kind === 'sandbox' ? { credentials: SANDBOX_CREDENTIALS } : { profile: profileFor(env, processEnv) }),
  };
}

function makeClients(env: EnvironmentConfig, processEnv: NodeJS.ProcessEnv, maxAttempts: number, region: string, endpoints: AwsClients['endpoints']): AwsClients {
  const ecs = new ECSClient(clientConfig(env, processEnv, maxAttempts, region, endpoints.ecs));
  const ecr = new ECRClient(clientConfig(env, processEnv, maxAttempts, region, endpoints.ecr));
  installErrorTranslation(ecs, env, endpoints.ecs, processEnv);
  installErrorTranslation(ecr, env, endpoints.ecr, processEnv);
  return { ecs, ecr, endpoints };
}

/**
 * A CommonJS package's exports from `import()`: Node's loader adds named exports beside `default`,
 * a bundle's may give only `default` (module.exports), which holds them all either way.
 */
const commonJs = <M>(mod: M): M => (mod as { default?: M }).default ?? mod;

/**
 * A port whose implementation is made on its first call (`load`: import the SDK module, make the
 * client) and shared by every later call; a failed load is tried again on the next call. Every
 * method of the port must be listed (the type checks that), and every method is async, so callers
 * cannot tell the difference.
 */
export function lazyPort<P extends { [K in keyof P]: (...args: any[]) => Promise<unknown> }>(methods: { [K in keyof P]: true }, load: () => Promise<P>): P {
  let port: Promise<P> | undefined;
  const get = () => {
    port ??= load();
    port.catch(() => (port = undefined));
    return port;
  };
  const out = {} as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of Object.keys(methods)) out[name] = async (...args) => ((await get())[name as keyof P] as (...a: unknown[]) => Promise<unknown>)(...args);
  return out as unknown as P;
}

/** Message for an environment without credentials. */
export function noCredentialsMessage(env: EnvironmentConfig): string {
  return `No AWS credentials for environment '${env.name}'. Set AWS_PROFILE or run \`aws sso login\`, or use --env local for the sandbox.`;
}

/** Message for a dead endpoint: the sandbox is the usual suspect when an endpoint is configured. */
export function unreachableMessage(env: EnvironmentConfig, endpoint: string | undefined): string {
  if (env.kind === 'sandbox') {
    return `Cannot reach the sandbox's AWS endpoint ${endpoint ?? '(none configured)'} for environment '${env.name}'. Start it with \`${SANDBOX_UP}\` (or check ferry.json's \`endpoint\` / AWS_ENDPOINT_URL).`;
  }
  return `Cannot reach the AWS endpoint ${endpoint ?? `for region ${env.region}`} for environment '${env.name}'. Check your network${endpoint ? ', the `endpoint` in ferry.json and AWS_ENDPOINT_URL' : ''}.`;
}

function isMissingCredentials(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  const message = e instanceof Error ? e.message : '';
  return name === 'CredentialsProviderError' || /Could not load credentials|Unable to find (environment variable )?credentials|token is expired|SSO session/i.test(message);
}

/** What installErrorTranslation needs of an SDK client. */
interface TranslatableClient {
  middlewareStack: unknown;
  config: { credentials: unknown };
}

/**
 * Wraps the whole call (all retries included: the `initialize` step sits outside retry) so a client
 * reports missing credentials and dead endpoints as FerryErrors. Throttling is left to the retry
 * strategy; anything else reaches the caller untouched for classification by `errors.ts`.
 */
function installErrorTranslation(client: TranslatableClient, env: EnvironmentConfig, endpoint: string | undefined, processEnv: NodeJS.ProcessEnv): void {
  let credentialsChecked = env.kind === 'sandbox';
  const stack = client.middlewareStack as unknown as {
    add(mw: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>, opts: { step: 'initialize'; name: string; priority: 'high' }): void;
  };
  stack.add(
    (next) => async (args) => {
      if (!credentialsChecked) {
        try {
          await (client.config.credentials as () => Promise<unknown>)();
          credentialsChecked = true;
        } catch (e) {
          throw new FerryError('AWS_CREDENTIALS', noCredentialsMessage(env), {
            cause: e,
            details: [`profile: ${profileFor(env, processEnv) ?? '(default)'}`, `region: ${env.region}`],
          });
        }
      }
      try {
        return await next(args);
      } catch (e) {
        if (e instanceof FerryError) throw e;
        if (isConnectionError(e)) throw new FerryError('AWS_ERROR', unreachableMessage(env, endpoint), { cause: e });
        if (isMissingCredentials(e)) throw new FerryError('AWS_CREDENTIALS', noCredentialsMessage(env), { cause: e });
        throw e;
      }
    },
    { step: 'initialize', name: 'ferryErrorTranslation', priority: 'high' },
  );
}
