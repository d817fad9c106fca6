/**
 * ECR as ferry uses it: a narrow port (only the calls we make) over ECRClient, plus the repository
 * rules (IMMUTABLE tags, scan on push, a lifecycle policy from deploy.json) and the "is this tag
 * already there" check that lets build-image and push skip work.
 */
import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  GetAuthorizationTokenCommand,
  GetLifecyclePolicyCommand,
  PutImageCommand,
  PutLifecyclePolicyCommand,
  type BatchGetImageCommandInput,
  type BatchGetImageCommandOutput,
  type CreateRepositoryCommandInput,
  type CreateRepositoryCommandOutput,
  type DescribeImagesCommandInput,
  type DescribeImagesCommandOutput,
  type DescribeRepositoriesCommandInput,
  type DescribeRepositoriesCommandOutput,
  type ECRClient,
  type GetAuthorizationTokenCommandOutput,
  type GetLifecyclePolicyCommandInput,
  type GetLifecyclePolicyCommandOutput,
  type PutImageCommandInput,
  type PutImageCommandOutput,
  type PutLifecyclePolicyCommandInput,
  type PutLifecyclePolicyCommandOutput,
  type Repository,
} from '@aws-sdk/client-ecr';
import { FerryError, type AppDeployConfig, type EnvironmentConfig, type LifecyclePolicySettings, type Reporter, type SecretSet } from '@ferry/core';
import { attempt, awsErrorName, isNotFound } from './errors.ts';

/** The ECR calls ferry makes. Implemented over ECRClient by `ecrPort`; tests may pass a fake. */
export interface EcrPort {
  describeImages(input: DescribeImagesCommandInput): Promise<DescribeImagesCommandOutput>;
  describeRepositories(input: DescribeRepositoriesCommandInput): Promise<DescribeRepositoriesCommandOutput>;
  createRepository(input: CreateRepositoryCommandInput): Promise<CreateRepositoryCommandOutput>;
  putLifecyclePolicy(input: PutLifecyclePolicyCommandInput): Promise<PutLifecyclePolicyCommandOutput>;
  getLifecyclePolicy(input: GetLifecyclePolicyCommandInput): Promise<GetLifecyclePolicyCommandOutput>;
  getAuthorizationToken(): Promise<GetAuthorizationTokenCommandOutput>;
  batchGetImage(input: BatchGetImageCommandInput): Promise<BatchGetImageCommandOutput>;
  putImage(input: PutImageCommandInput): Promise<PutImageCommandOutput>;
}

const image = (i: DescribeImagesCommandInput | BatchGetImageCommandInput | PutImageCommandInput) =>
  'imageIds' in i && i.imageIds?.length === 1 ? `${i.repositoryName}:${i.imageIds[0].imageTag ?? i.imageIds[0].imageDigest}` : `images of ${i.repositoryName}`;

/**
 * The EcrPort over a real ECRClient. Each call's AWS error is translated here (`attempt`): a
 * FerryError naming what was being done, whose AWS code isNotFound still reads.
 * `rememberFound` (the session's ports): an image found once is not asked for again in this run
 * (build-image, push and deploy-app of one app each ask for the same tag); a lookup that found
 * nothing always asks again. The same holds for repositories described several at once (the batch's
 * prefetch, `describeRepositoriesAhead`): push's ensureRepository then finds its own among them.
 * `secrets` (the session's set, `runSecrets`): every authorization token, and the password in it, is
 * added the moment ECR hands it out, so all the run prints has them masked.
 */
export function ecrPort(client: ECRClient, o: { rememberFound?: boolean; registryId?: () => Promise<string | undefined>; secrets?: Pick<SecretSet, 'add'> } = {}): EcrPort {
  // The registry's account when it is not the caller's (a central ECR account): every call names it.
  const reg = async <T extends object>(input: T): Promise<T> => {
    const id = await o.registryId?.();
    return id && !('registryId' in input && input.registryId) ? { ...input, registryId: id } : input;
  };
  const describeImages = async (input: DescribeImagesCommandInput) => {
    const i = await reg(input);
    return attempt(`look up ${image(i)} in ECR${where(i)}`, () => client.send(new DescribeImagesCommand(i)));
  };
  const describeRepositories = async (input: DescribeRepositoriesCommandInput) => {
    const i = await reg(input);
    return attempt(`describe ECR repository '${input.repositoryNames?.join("', '")}'${where(i)}`, () => client.send(new DescribeRepositoriesCommand(i)));
  };
  return {
    describeImages: o.rememberFound ? rememberFound(describeImages) : describeImages,
    describeRepositories: o.rememberFound ? rememberRepositories(describeRepositories) : describeRepositories,
    createRepository: async (input) => {
      const i = await reg(input);
      return attempt(`create ECR repository '${input.repositoryName}'${where(i)}`, () => client.send(new CreateRepositoryCommand(i)));
    },
    putLifecyclePolicy: async (input) => {
      const i = await reg(input);
      return attempt(`put the lifecycle policy on '${input.repositoryName}'${where(i)}`, () => client.send(new PutLifecyclePolicyCommand(i)));
    },
    getLifecyclePolicy: async (input) => {
      const i = await reg(input);
      return attempt(`read the lifecycle policy of '${input.repositoryName}'${where(i)}`, () => client.send(new GetLifecyclePolicyCommand(i)));
    },
    getAuthorizationToken: async () => {
      const id = await o.registryId?.();
      const out = await attempt('get an ECR authorization token', () => client.send(new GetAuthorizationTokenCommand(id ? { registryIds: [id] } : {})));
      if (o.secrets) for (const data of out.authorizationData ?? []) for (const secret of tokenSecrets(data.authorizationToken)) o.secrets.add(secret);
      return out;
    },
    batchGetImage: async (input) => {
      const i = await reg(input);
      return attempt(`read the manifest of ${image(i)}${where(i)}`, () => client.send(new BatchGetImageCommand(i)));
    },
    putImage: async (input) => {
      const i = await reg(input);
      return attempt(`put ${input.repositoryName}:${input.imageTag ?? input.imageDigest}${where(i)}`, () => client.send(new PutImageCommand(i)));
    },
  };
}

const where = (i: { registryId?: string }) => (i.registryId ? ` (registry ${i.registryId})` : '');

/** The DNS suffix of a region's partition: amazonaws.com, or amazonaws.com.cn for the China regions. */
export const partitionDnsSuffix = (region: string): string => (region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com');

/** The account of an environment's registry: ferry.json `registryId`, the account in an ECR host (`registry`), else `accountId`. */
export function registryAccountOf(env: Pick<EnvironmentConfig, 'kind' | 'registry' | 'accountId' | 'registryId'>): string | undefined {
  if (env.registryId) return env.registryId;
  if (env.kind !== 'aws') return undefined;
  const m = env.registry ? /^(\d{12})\.dkr\.ecr\./.exec(env.registry) : null;
  return m ? m[1] : env.registry ? undefined : env.accountId;
}

/**
 * The `registryId` every ECR call must carry: the registry's account when it differs from the
 * caller's (a central ECR account shared by the environments' accounts), else none. Pure.
 */
export const registryIdFor = (registryAccount: string | undefined, callerAccount: string): string | undefined =>
  registryAccount && registryAccount !== callerAccount ? registryAccount : undefined;

function rememberFound(describe: (input: DescribeImagesCommandInput) => Promise<DescribeImagesCommandOutput>) {
  const found = new Map<string, DescribeImagesCommandOutput>();
  // A lookup under way is shared by whoever asks for the same tag meanwhile (the prefetch, the
  // lock ahead and build-image of one app ask at about the same moment): one call, one answer.
  const asking = new Map<string, Promise<DescribeImagesCommandOutput>>();
  return async (input: DescribeImagesCommandInput): Promise<DescribeImagesCommandOutput> => {
    const single = input.imageIds?.length === 1 && input.imageIds[0].imageTag && !input.imageIds[0].imageDigest && !input.nextToken && !input.registryId;
    if (!single) return describe(input);
    const key = JSON.stringify([input.repositoryName, input.imageIds![0].imageTag]);
    const hit = found.get(key) ?? asking.get(key);
    if (hit) return hit;
    const call = describe(input);
    asking.set(key, call);
    try {
      const out = await call;
      if (out.imageDetails?.[0]?.imageDigest) found.set(key, out);
      return out;
    } finally {
      asking.delete(key);
    }
  };
}

/**
 * Repositories described several at once are remembered for the run: a later DescribeRepositories
 * of one of them (push's ensureRepository) is answered from that call, also while it is under way.
 * A repository the call did not return, or a call that failed, is asked for again.
 */
function rememberRepositories(describe: (input: DescribeRepositoriesCommandInput) => Promise<DescribeRepositoriesCommandOutput>) {
  const known = new Map<string, Promise<Repository | undefined>>();
  return async (input: DescribeRepositoriesCommandInput): Promise<DescribeRepositoriesCommandOutput> => {
    const names = input.repositoryNames ?? [];
    if (!names.length || input.nextToken || input.maxResults || input.registryId) return describe(input);
    if (names.length === 1) {
      const hit = await known.get(names[0]);
      return hit ? { repositories: [hit], $metadata: {} } : describe(input);
    }
    const call = describe(input);
    for (const n of names) known.set(n, call.then((out) => out.repositories?.find((r) => r.repositoryName === n), () => undefined));
    return call;
  };
}

/** ECR's DescribeRepositories names at most this many repositories a call (ECR model: repositoryNames 1–100). */
export const DESCRIBE_REPOSITORIES_MAX = 100;

/**
 * Repositories a run will ensure (the batch's pushes), described up to 100 a call, in the
 * background: through a `rememberFound` port, each app's ensureRepository then makes no call of its
 * own. One missing repository (an app's first push) fails the whole call, as ECR answers
 * RepositoryNotFoundException for any name it lacks: that run costs this one call more, and each
 * app asks on its own as before.
 */
export function describeRepositoriesAhead(port: EcrPort, names: readonly string[]): void {
  const unique = [...new Set(names)];
  if (unique.length < 2) return;
  for (let i = 0; i < unique.length; i += DESCRIBE_REPOSITORIES_MAX) {
    port.describeRepositories({ repositoryNames: unique.slice(i, i + DESCRIBE_REPOSITORIES_MAX) }).catch(() => undefined);
  }
}

/** An ECR lifecycle policy document (the subset ferry writes). */
export interface LifecyclePolicy {
  rules: Array<{
    rulePriority: number;
    description: string;
    selection: {
      tagStatus: 'tagged' | 'untagged' | 'any';
      tagPatternList?: string[];
      countType: 'imageCountMoreThan' | 'sinceImagePushed';
      countUnit?: 'days';
      countNumber: number;
    };
    action: { type: 'expire' };
  }>;
}

export const LIFECYCLE_DEFAULTS: Required<LifecyclePolicySettings> = { keepTaggedImages: 30, untaggedExpireDays: 1 };

/**
 * The lifecycle policy for an app's repository: expire untagged images after N days (priority 1)
 * and keep the newest N tagged images (priority 2). A `tagged` rule must name a tag pattern, so it
 * uses `["*"]`; `countUnit` goes only with `sinceImagePushed`.
 */
export function lifecyclePolicyFor(settings: LifecyclePolicySettings = {}): LifecyclePolicy {
  const keep = settings.keepTaggedImages ?? LIFECYCLE_DEFAULTS.keepTaggedImages;
  const days = settings.untaggedExpireDays ?? LIFECYCLE_DEFAULTS.untaggedExpireDays;
  for (const [name, value] of [['keepTaggedImages', keep], ['untaggedExpireDays', days]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new FerryError('CONFIG_INVALID', `lifecycle.${name} must be a whole number of at least 1 (got ${value}). Fix it in deploy.json.`);
    }
  }
  return {
    rules: [
      {
        rulePriority: 1,
        description: `Expire untagged images ${days} day(s) after push`,
        selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: days },
        action: { type: 'expire' },
      },
      {
        rulePriority: 2,
        description: `Keep the newest ${keep} tagged images`,
        selection: { tagStatus: 'tagged', tagPatternList: ['*'], countType: 'imageCountMoreThan', countNumber: keep },
        action: { type: 'expire' },
      },
    ],
  };
}

/** Compares two policy texts as data (key order and whitespace do not count). */
export function samePolicy(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  try {
    return canonical(JSON.parse(a)) === canonical(JSON.parse(b));
  } catch {
    return false;
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What ensureRepository found and did. */
export interface EnsureRepositoryResult {
  repositoryName: string;
  repositoryUri?: string;
  created: boolean;
  policyUpdated: boolean;
  tagMutability?: string;
}

/**
 * Makes sure the app's repository exists with ferry's settings. A new repository is created
 * IMMUTABLE with scan on push; an existing MUTABLE one gets a warning but is left alone (changing a
 * repository's tag rules is the owner's decision). The lifecycle policy is written only when it differs.
 */
export async function ensureRepository(
  port: EcrPort,
  app: Pick<AppDeployConfig, 'project' | 'repository' | 'lifecycle'>,
  reporter?: Reporter,
): Promise<EnsureRepositoryResult> {
  const repositoryName = app.repository;
  let created = false;
  let repo: { repositoryUri?: string; imageTagMutability?: string } | undefined;
  // The repository and its lifecycle policy are read at once: one round trip on every push, not
  // two. A repository that does not exist has no policy either (RepositoryNotFoundException).
  const [described, policy] = await Promise.allSettled([port.describeRepositories({ repositoryNames: [repositoryName] }), port.getLifecyclePolicy({ repositoryName })]);
  if (described.status === 'fulfilled') repo = described.value.repositories?.[0];
  else if (!isNotFound(described.reason, 'RepositoryNotFoundException')) throw described.reason;
  if (!repo) {
    try {
      const out = await port.createRepository({
        repositoryName,
        imageTagMutability: 'IMMUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        tags: [{ Key: 'managed-by', Value: 'ferry' }],
      });
      repo = out.repository;
      created = true;
      reporter?.emit({ kind: 'info', app: app.project, message: `created ECR repository ${repositoryName} (IMMUTABLE tags, scan on push)` });
    } catch (e) {
      // Another pipeline created it between our describe and create: fine, read it back.
      if (awsErrorName(e) !== 'RepositoryAlreadyExistsException') throw e;
      const out = await port.describeRepositories({ repositoryNames: [repositoryName] });
      repo = out.repositories?.[0];
    }
  }
  if (repo?.imageTagMutability && repo.imageTagMutability !== 'IMMUTABLE') {
    reporter?.emit({
      kind: 'warn',
      app: app.project,
      message: `ECR repository ${repositoryName} has ${repo.imageTagMutability} tags: a pushed tag could be overwritten. ferry's content tags assume IMMUTABLE; change it with \`aws ecr put-image-tag-mutability --repository-name ${repositoryName} --image-tag-mutability IMMUTABLE\`.`,
    });
  }

  const desired = JSON.stringify(lifecyclePolicyFor(app.lifecycle));
  let current: string | undefined;
  if (policy.status === 'fulfilled') current = policy.value.lifecyclePolicyText;
  else if (!isNotFound(policy.reason)) throw policy.reason;
  let policyUpdated = false;
  if (!samePolicy(current, desired)) {
    await port.putLifecyclePolicy({ repositoryName, lifecyclePolicyText: desired });
    policyUpdated = true;
    reporter?.emit({ kind: 'info', app: app.project, message: `lifecycle policy of ${repositoryName} ${current ? 'updated' : 'set'}` });
  }
  return { repositoryName, repositoryUri: repo?.repositoryUri, created, policyUpdated, tagMutability: repo?.imageTagMutability };
}

/** The image behind `repo:tag` in ECR, or null when the tag or the whole repository is missing. */
export async function imageExists(port: EcrPort, repositoryName: string, tag: string): Promise<{ digest: string; pushedAt?: Date } | null> {
  try {
    const out = await port.describeImages({ repositoryName, imageIds: [{ imageTag: tag }] });
    const image = out.imageDetails?.[0];
    if (!image?.imageDigest) return null;
    return { digest: image.imageDigest, pushedAt: image.imagePushedAt };
  } catch (e) {
    if (isNotFound(e, 'ImageNotFoundException') || isNotFound(e, 'RepositoryNotFoundException')) return null;
    throw e;
  }
}

/** Registry login data decoded from GetAuthorizationToken. `password` is a secret: never print it. */
export interface RegistryCredentials {
  /** Registry host without scheme, e.g. `123.dkr.ecr.eu-west-1.amazonaws.com` or `127.0.0.1:5000`. */
  registry: string;
  /** GetAuthorizationToken's proxyEndpoint as given (`https://<host>`; `http://` in the sandbox): the registry API's base URL. */
  proxyEndpoint: string;
  username: string;
  password: string;
  expiresAt?: Date;
}

/** The secrets in one authorization token: the token itself and the password it encodes. Pure. */
export function tokenSecrets(token: string | undefined): string[] {
  if (!token) return [];
  const text = Buffer.from(token, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon > 0 ? [token, text.slice(colon + 1)] : [token];
}

/** Decodes the base64 `AWS:<password>` token. Pure. */
export function decodeAuthorizationToken(token: string): { username: string; password: string } {
  const text = Buffer.from(token, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) throw new FerryError('AWS_ERROR', 'ECR returned an authorization token that is not `user:password` (base64). Retry; if it persists, check the ECR endpoint.');
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** `https://host:port/` -> `host:port`. */
export function registryHostOf(proxyEndpoint: string): string {
  return proxyEndpoint.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
}

/** GetAuthorizationToken, decoded. */
export async function getRegistryCredentials(port: EcrPort): Promise<RegistryCredentials> {
  const out = await port.getAuthorizationToken();
  const data = out.authorizationData?.[0];
  if (!data?.authorizationToken || !data.proxyEndpoint) {
    throw new FerryError('AWS_ERROR', 'ECR GetAuthorizationToken returned no authorization data. Retry; if it persists, check the ECR endpoint and permissions (ecr:GetAuthorizationToken).');
  }
  // The run's ECR port (`AwsClientPool.ecr`, built with `secrets`) added the token and the password
  // to the run's secrets as ECR answered: everything the run prints from here on has them masked.
  const decoded = decodeAuthorizationToken(data.authorizationToken);
  return { registry: registryHostOf(data.proxyEndpoint), proxyEndpoint: data.proxyEndpoint, ...decoded, expiresAt: data.expiresAt };
}

/**
 * The registry host images are tagged for: ferry.json `registry`, else the registry account's ECR
 * host (aws with `registryId` or `accountId`), else the proxyEndpoint GetAuthorizationToken reports.
 */
export async function registryFor(env: Pick<EnvironmentConfig, 'kind' | 'registry' | 'accountId' | 'region' | 'registryId'>, port: EcrPort): Promise<string> {
  return configuredRegistry(env) ?? (await getRegistryCredentials(port)).registry;
}

/** The registry host known from ferry.json alone (no AWS call), if any. */
export function configuredRegistry(env: Pick<EnvironmentConfig, 'kind' | 'registry' | 'accountId' | 'region' | 'registryId'>): string | undefined {
  if (env.registry) return env.registry;
  const account = env.registryId ?? env.accountId;
  if (env.kind === 'aws' && account) return `${account}.dkr.ecr.${env.region}.${partitionDnsSuffix(env.region)}`;
  return undefined;
}
