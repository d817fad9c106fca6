/**
 * ECR for several accounts in one sandbox: each account has its own registry (a docker-registry
 * process with its own storage, credentials and proxy port), its own repositories (state) and its
 * own ECR part; one API endpoint serves them all and routes each request by its `registryId`
 * (GetAuthorizationToken: `registryIds`), as ECR does for a caller allowed into another account's
 * registry (every ECR operation that names a repository takes an optional `registryId`:
 * libs/ferry/core/models/ecr.json; "If you do not specify a registry, the default registry is
 * assumed"). Without one, a request goes to the sandbox's own account.
 */
import { AwsError, type OperationHandler, type SandboxService } from '../context.ts';
import type { EcrService } from './index.ts';

/** One extra account whose registry the sandbox hosts: its id and the registry's public port (0: any free port). */
export interface ExtraRegistry {
  accountId: string;
  port: number;
}

/**
 * `FERRY_SANDBOX_REGISTRY_ACCOUNTS`: comma-separated `<12-digit account>[:<port>]`. An account
 * without a port gets `basePort + n` (n = 1, 2, … in order) when `basePort` is set, else a free one.
 */
export function parseRegistryAccounts(text: string | undefined, basePort: number, own: string): ExtraRegistry[] {
  if (!text?.trim()) return [];
  const out: ExtraRegistry[] = [];
  for (const [i, item] of text.split(',').map((s) => s.trim()).filter(Boolean).entries()) {
    const m = /^(\d{12})(?::(\d{1,5}))?$/.exec(item);
    if (!m) throw new Error(`FERRY_SANDBOX_REGISTRY_ACCOUNTS: '${item}' is not <12-digit account id>[:<port>] (example: 111111111111:5001)`);
    if (m[1] === own || out.some((r) => r.accountId === m[1])) throw new Error(`FERRY_SANDBOX_REGISTRY_ACCOUNTS: account ${m[1]} is listed twice (the sandbox's own account is ${own})`);
    out.push({ accountId: m[1], port: m[2] !== undefined ? Number(m[2]) : basePort ? basePort + i + 1 : 0 });
  }
  return out;
}

/** The account a request addresses: its `registryId`, else the sandbox's own. */
const registryIdOf = (input: unknown): string | undefined => {
  const id = (input as { registryId?: unknown } | undefined)?.registryId;
  return typeof id === 'string' && id !== '' ? id : undefined;
};

/**
 * One ECR API over the ECR parts of several accounts. A request naming a registry the sandbox does
 * not host is refused like a repository that is not there (RepositoryNotFoundException naming the
 * registry id; the sandbox has no IAM, so AWS's AccessDeniedException for a registry without a
 * repository policy is not modelled). GetAuthorizationToken answers one `authorizationData` entry
 * per requested registry, each with that registry's `proxyEndpoint` and credentials.
 */
export function routeByRegistry(own: string, parts: ReadonlyMap<string, EcrService>): SandboxService {
  const ownPart = parts.get(own)!;
  const partFor = (id: string | undefined, what: string | undefined): EcrService => {
    const part = parts.get(id ?? own);
    if (part) return part;
    const hosted = `the sandbox hosts the registries of ${[...parts.keys()].join(', ')}; FERRY_SANDBOX_REGISTRY_ACCOUNTS adds more`;
    throw new AwsError('RepositoryNotFoundException', what ? `The repository with name '${what}' does not exist in the registry with id '${id}' (${hosted})` : `The registry with id '${id}' does not exist (${hosted})`);
  };
  const handlers: Record<string, OperationHandler> = {};
  for (const op of Object.keys(ownPart.handlers)) {
    handlers[op] = (input) => {
      const repository = typeof input?.repositoryName === 'string' ? input.repositoryName : undefined;
      return partFor(registryIdOf(input), repository).handlers[op](input);
    };
  }
  handlers.GetAuthorizationToken = async (input) => {
    const ids: unknown = input?.registryIds;
    if (!Array.isArray(ids) || ids.length === 0) return ownPart.handlers.GetAuthorizationToken(input);
    const authorizationData = [];
    for (const id of ids) {
      if (!parts.has(id)) throw new AwsError('InvalidParameterException', `The sandbox hosts no registry with id '${id}' (it hosts ${[...parts.keys()].join(', ')}; FERRY_SANDBOX_REGISTRY_ACCOUNTS adds more)`);
      const out = (await parts.get(id)!.handlers.GetAuthorizationToken({})) as { authorizationData: unknown[] };
      authorizationData.push(...out.authorizationData);
    }
    return { authorizationData };
  };
  return {
    handlers,
    start: async () => {
      for (const p of parts.values()) await p.start();
    },
    stop: async (o) => {
      for (const p of parts.values()) await p.stop(o);
    },
    info: () => Object.fromEntries([...parts].map(([id, p]) => [id, p.info?.()])),
  };
}
