/**
 * Task definitions as data: strip what the server fills in, derive the desired revision from the
 * live one plus the app's config, normalise and diff the way ecspresso does. All pure.
 */
import { createHash } from 'node:crypto';
import { FerryError, type AppDeployConfig, type DeclaredField, type EnvironmentConfig } from '@ferry/core';
import type { EcsTag, EcsTaskDefinition, RegisterTaskDefinitionInput, TaskDefinitionWithTags } from '@ferry/aws';
import { containerLogConfiguration, logsPlan, type LogsPlan } from './logs.ts';

/** Tag keys ferry puts on every task definition revision it registers. */
export const TAG_CONTENT = 'ferry:content-tag';
export const TAG_GIT_SHA = 'ferry:git-sha';
/** Set to `completed` once a rollout of this revision completed: what rollback looks for. */
export const TAG_STATUS = 'ferry:status';
/** When that rollout completed (epoch ms): orders completed revisions for rollback. */
export const TAG_COMPLETED_AT = 'ferry:completed-at';
/** History (records.ts / history.ts): who rolled this revision out, when, and how it ended. */
export const TAG_DEPLOYED_BY = 'ferry:deployed-by';
export const TAG_DEPLOYED_AT = 'ferry:deployed-at';
/** When a rollback made this revision live again (its first deploy time stays in TAG_DEPLOYED_AT). */
export const TAG_RETURNED_AT = 'ferry:returned-at';
export const TAG_RESULT = 'ferry:result';
/** Tags that describe a registration, not the definition: never a reason to deploy, never inherited. */
/** The migration run with this revision (migrate.ts): `exit=<code> ms=<duration> at=<epoch ms> by=<who>`, and its command. */
export const TAG_MIGRATION = 'ferry:migration';
export const TAG_MIGRATION_COMMAND = 'ferry:migration-command';
/** A revision `promote` registered: `<source env> <image digest> <source task definition ARN>` (promote.ts). */
export const TAG_PROMOTED_FROM = 'ferry:promoted-from';

/** The value of TAG_PROMOTED_FROM, read back. */
export interface PromotedFrom {
  env: string;
  digest: string;
  taskDefinitionArn: string;
}

/** TAG_PROMOTED_FROM's value (space-separated: ECS tag values do not allow `|`). Pure. */
export const promotedFromValue = (p: PromotedFrom): string => `${p.env} ${p.digest} ${p.taskDefinitionArn}`;

/** TAG_PROMOTED_FROM read back; undefined when absent or not three fields. Pure. */
export function parsePromotedFrom(value: string | undefined): PromotedFrom | undefined {
  const [env, digest, taskDefinitionArn, ...rest] = (value ?? '').split(' ');
  return env && digest && taskDefinitionArn && rest.length === 0 ? { env, digest, taskDefinitionArn } : undefined;
}
const META_TAGS = new Set([TAG_PROMOTED_FROM, TAG_GIT_SHA, TAG_STATUS, TAG_COMPLETED_AT, TAG_DEPLOYED_BY, TAG_DEPLOYED_AT, TAG_RETURNED_AT, TAG_RESULT, TAG_MIGRATION, TAG_MIGRATION_COMMAND]);

/** Fields DescribeTaskDefinition returns that RegisterTaskDefinition does not accept (ECS-SEMANTICS §4). */
export const SERVER_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'deleteRequestedAt',
] as const;

/** A described task definition turned back into register input (tags are separate: pass them as `tags`). */
export function stripServerFields(td: EcsTaskDefinition): RegisterTaskDefinitionInput {
  const out: Record<string, unknown> = { ...td };
  for (const f of SERVER_FIELDS) delete out[f];
  return out as unknown as RegisterTaskDefinitionInput;
}

/** What ferry records on a revision: the content tag of the image and the commit it was built from. */
export interface RevisionMeta {
  contentTag: string;
  gitSha?: string;
  /** Set by promote: where the image ran before (TAG_PROMOTED_FROM). */
  promotedFrom?: string;
}

type ContainerDef = NonNullable<RegisterTaskDefinitionInput['containerDefinitions']>[number];
type Named = { name?: string };

const envList = (rec: Record<string, string>) => Object.keys(rec).sort().map((name) => ({ name, value: rec[name] }));
const secretList = (rec: Record<string, string>) => Object.keys(rec).sort().map((name) => ({ name, valueFrom: rec[name] }));

function metaTags(existing: EcsTag[], meta: RevisionMeta): EcsTag[] {
  // `aws:`-prefixed keys are AWS's own (CloudFormation, Service Catalog…): a user request may not
  // set them (ECS refuses RegisterTaskDefinition with them: "Tag keys ... cannot start with aws:",
  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-using-tags.html#tag-restrictions).
  const kept = existing.filter((t) => t.key !== TAG_CONTENT && !META_TAGS.has(t.key ?? '') && !(t.key ?? '').toLowerCase().startsWith('aws:'));
  const added: EcsTag[] = [{ key: TAG_CONTENT, value: meta.contentTag }];
  if (meta.gitSha) added.push({ key: TAG_GIT_SHA, value: meta.gitSha });
  if (meta.promotedFrom) added.push({ key: TAG_PROMOTED_FROM, value: meta.promotedFrom });
  return [...kept, ...added];
}

/** Whether deploy.json declares `field` for this environment (base fields or `environments.<env>`). */
export const declares = (app: Pick<AppDeployConfig, 'declared'>, field: DeclaredField): boolean => app.declared.includes(field);

/**
 * `merge`: the live entries with the declared names set (in place) and the new ones appended;
 * `replace`: the declared entries only.
 */
function mergeNamed<T extends Named>(live: T[] | undefined, declared: T[], mode: AppDeployConfig['environmentMode']): T[] {
  if (mode === 'replace') return declared;
  const want = new Map(declared.map((d) => [d.name, d]));
  const kept = (live ?? []).map((e) => want.get(e.name) ?? e);
  const have = new Set((live ?? []).map((e) => e.name));
  return [...kept, ...declared.filter((d) => !have.has(d.name))];
}

/** ECS `runtimePlatform` for a Docker platform; only linux/amd64 and linux/arm64 run on ECS. */
export function runtimePlatformOf(platform: string, project = 'this app'): NonNullable<RegisterTaskDefinitionInput['runtimePlatform']> {
  const arch = platform === 'linux/amd64' ? 'X86_64' : platform === 'linux/arm64' ? 'ARM64' : undefined;
  if (!arch) {
    throw new FerryError(
      'CONFIG_INVALID',
      `${project}: platform ${JSON.stringify(platform)} has no ECS runtime platform (ECS runs linux/amd64 as X86_64 and linux/arm64 as ARM64: RuntimePlatform.cpuArchitecture in the ECS model). Example: "platform": "linux/arm64"`,
    );
  }
  return { cpuArchitecture: arch, operatingSystemFamily: 'LINUX' };
}

/**
 * What the app's config sets on a task definition that already exists: only what deploy.json
 * declares for this environment, besides the image and ferry's tags. Shared by the patch
 * (desiredTaskDefinition) and the spec fingerprint, so both always agree on what ferry manages.
 */
export interface TaskPatch {
  /** Task-level members, each present only when declared. */
  task: Pick<RegisterTaskDefinitionInput, 'cpu' | 'memory' | 'taskRoleArn' | 'executionRoleArn' | 'runtimePlatform'>;
  /** The execution role to add only when the revision has none (awslogs needs one on AWS). */
  executionRoleIfMissing?: string;
  environmentMode: AppDeployConfig['environmentMode'];
  environment: { name: string; value: string }[];
  secrets: { name: string; valueFrom: string }[];
  portMapping?: { containerPort: number };
  healthCheck?: ContainerDef['healthCheck'];
  logConfiguration?: ContainerDef['logConfiguration'];
  stopTimeout?: number;
  initProcessEnabled?: boolean;
}

/** The logs plan for patching a live revision: ferry's default applies only when `logs` is declared. */
export function patchLogsPlan(app: AppDeployConfig, env: EnvironmentConfig): LogsPlan {
  return declares(app, 'logs') ? logsPlan(app, env) : { kind: 'off' };
}

export function taskPatch(app: AppDeployConfig, env: EnvironmentConfig, logs: LogsPlan = patchLogsPlan(app, env)): TaskPatch {
  const task: TaskPatch['task'] = {};
  if (declares(app, 'cpu')) task.cpu = app.cpu;
  if (declares(app, 'memory')) task.memory = app.memory;
  if (app.taskRoleArn !== undefined) task.taskRoleArn = app.taskRoleArn;
  if (app.executionRoleArn !== undefined) task.executionRoleArn = app.executionRoleArn;
  if (declares(app, 'platform')) task.runtimePlatform = runtimePlatformOf(app.platform, app.project);
  const logConfiguration = containerLogConfiguration(logs) as ContainerDef['logConfiguration'] | undefined;
  const roleForLogs = logs.kind === 'awslogs' && !task.executionRoleArn ? env.executionRoleArn : undefined;
  return {
    task,
    ...(roleForLogs && { executionRoleIfMissing: roleForLogs }),
    environmentMode: app.environmentMode,
    // The PORT contract: an app whose deploy.json declares containerPort gets PORT=<containerPort> on
    // every backend; the sandbox replaces only that value per task (its tasks share the host network,
    // docs/sandbox.md). A service made elsewhere whose deploy.json does not declare it gets no PORT.
    environment: envList(app.containerPort !== undefined && declares(app, 'containerPort') ? { ...app.environment, PORT: String(app.containerPort) } : app.environment),
    secrets: secretList(app.secrets),
    ...(app.containerPort !== undefined && { portMapping: { containerPort: app.containerPort } }),
    ...(app.containerHealthCheck && { healthCheck: { ...app.containerHealthCheck } }),
    ...(logConfiguration && { logConfiguration }),
    ...(app.stopTimeout !== undefined && { stopTimeout: app.stopTimeout }),
    ...(app.initProcessEnabled !== undefined && { initProcessEnabled: app.initProcessEnabled }),
  };
}

function patchContainer(c: ContainerDef, p: TaskPatch, imageRef: string, awsvpc: boolean): ContainerDef {
  const out: ContainerDef = {
    ...c,
    image: imageRef,
    environment: mergeNamed(c.environment as { name: string; value: string }[] | undefined, p.environment, p.environmentMode),
    secrets: mergeNamed(c.secrets as { name: string; valueFrom: string }[] | undefined, p.secrets, p.environmentMode),
  };
  // A name is a variable or a secret, never both: a declared secret drops a live variable of the
  // same name (its plaintext value would stay in the task definition) and a declared variable a live
  // secret of that name.
  const secretNames = new Set(p.secrets.map((x) => x.name));
  const envNames = new Set(p.environment.map((x) => x.name));
  out.environment = out.environment?.filter((e) => !secretNames.has(e.name ?? ''));
  out.secrets = out.secrets?.filter((e) => !envNames.has(e.name ?? ''));
  if (out.environment?.length === 0) delete out.environment;
  if (out.secrets?.length === 0) delete out.secrets;
  if (p.portMapping) {
    const port = p.portMapping.containerPort;
    const keep = c.portMappings?.find((m) => m.containerPort === port);
    out.portMappings = [keep ?? { containerPort: port, ...(awsvpc && { hostPort: port }), protocol: 'tcp' }];
  }
  if (p.healthCheck) out.healthCheck = { ...p.healthCheck };
  if (p.logConfiguration) out.logConfiguration = p.logConfiguration;
  if (p.stopTimeout !== undefined) out.stopTimeout = p.stopTimeout;
  if (p.initProcessEnabled !== undefined) out.linuxParameters = { ...c.linuxParameters, initProcessEnabled: p.initProcessEnabled };
  return out;
}

/** The live containers named in a message. */
const containerNames = (cs: ContainerDef[]) => cs.map((c) => JSON.stringify(c.name ?? '')).join(', ');

/** ECS compatibilities a new task definition needs for the app's launch type or capacity providers. */
export function compatibilitiesFor(app: Pick<AppDeployConfig, 'launchType' | 'capacityProviderStrategy'>): string[] {
  if (app.capacityProviderStrategy?.length) {
    return app.capacityProviderStrategy.every((p) => p.capacityProvider === 'FARGATE' || p.capacityProvider === 'FARGATE_SPOT') ? ['FARGATE'] : ['EC2'];
  }
  return [app.launchType ?? 'FARGATE'];
}

/**
 * The revision to register. From a live one, only the image, ferry's tags and what deploy.json
 * declares for this environment change (taskPatch): environment and secrets merged key by key
 * (`environmentMode: "replace"` to replace them), cpu/memory, roles, runtime platform, log
 * configuration, port mapping, container health check and stop timeout only when declared; every
 * other container, field and tag is kept as it is. The app's container must be one of the live
 * ones (by `containerName`): a revision made elsewhere is never given a second app container.
 * With no live definition, one is bootstrapped from config with the defaults: awsvpc, the launch
 * type's compatibility, the execution role for `aws` environments; the sandbox accepts the same
 * shape and runs it as Docker containers.
 */
export function desiredTaskDefinition(
  live: TaskDefinitionWithTags | null,
  app: AppDeployConfig,
  env: EnvironmentConfig,
  imageRef: string,
  meta: RevisionMeta,
): RegisterTaskDefinitionInput {
  if (live) {
    const p = taskPatch(app, env);
    const base = stripServerFields(live.taskDefinition);
    const awsvpc = base.networkMode === 'awsvpc';
    const containers = base.containerDefinitions ?? [];
    const idx = containers.findIndex((c) => c.name === app.containerName);
    if (idx < 0) {
      const td = live.taskDefinition;
      throw new FerryError(
        'CONFIG_INVALID',
        `${app.project}: the live task definition ${td.family ?? app.family}:${td.revision ?? '?'} of service ${app.service} has no container named ${JSON.stringify(app.containerName)}; its containers: ${containerNames(containers)}. ` +
          `Set "containerName" in deploy.json (under environments.${env.name} if it differs per environment) to the container that runs this app's image. Nothing was registered.`,
      );
    }
    const next = containers.map((c, i) => (i === idx ? patchContainer(c, p, imageRef, awsvpc) : c));
    const role = p.executionRoleIfMissing && !base.executionRoleArn && !p.task.executionRoleArn ? { executionRoleArn: p.executionRoleIfMissing } : {};
    return { ...base, ...role, ...p.task, family: app.family, containerDefinitions: next, tags: metaTags(live.tags, meta) };
  }
  const logs = logsPlan(app, env);
  const p = taskPatch(app, env, logs);
  const container = patchContainer({ name: app.containerName, essential: true }, p, imageRef, true);
  const executionRoleArn = app.executionRoleArn ?? env.executionRoleArn;
  return {
    family: app.family,
    networkMode: 'awsvpc',
    requiresCompatibilities: compatibilitiesFor(app) as RegisterTaskDefinitionInput['requiresCompatibilities'],
    cpu: app.cpu,
    memory: app.memory,
    ...(executionRoleArn && { executionRoleArn }),
    ...(app.taskRoleArn && { taskRoleArn: app.taskRoleArn }),
    ...(p.task.runtimePlatform && { runtimePlatform: p.task.runtimePlatform }),
    containerDefinitions: [container],
    tags: metaTags([], meta),
  };
}

/**
 * Template mode (deploy.json `taskDefinition`): the revision to register is the rendered template
 * (renderTemplate in @ferry/core: placeholders filled, the app container's image set, checked
 * against ECS's model) as written, plus ferry's tags. Nothing of the live revision is inherited:
 * the template is the whole definition, and diff shows every way the live one differs from it.
 */
export function templateTaskDefinition(rendered: Record<string, unknown>, meta: RevisionMeta): RegisterTaskDefinitionInput {
  const input = structuredClone(rendered) as unknown as RegisterTaskDefinitionInput;
  return { ...input, tags: metaTags(input.tags ?? [], meta) };
}

/**
 * The spec fingerprint in template mode: a hash of the rendered template (normalised, ferry's own
 * tags left out), the app container's name and the content tag. A change to the template, to a value
 * a placeholder takes or to the image is a new fingerprint; a deploy with none of them is one ECS read.
 */
export function templateFingerprint(rendered: Record<string, unknown>, app: Pick<AppDeployConfig, 'containerName'>, contentTag: string): string {
  const spec = { mode: 'template', containerName: app.containerName, contentTag, taskDefinition: normaliseTaskDefinition(rendered as unknown as RegisterTaskDefinitionInput) };
  const hash = createHash('sha256').update(JSON.stringify(prune(spec))).digest('hex').slice(0, 24);
  return `${SPEC_VERSION}-${hash}`;
}

/** Bump when desiredTaskDefinition changes what it derives from config: old spec tags then stop matching. */
export const SPEC_VERSION = 'v2';

/**
 * A short, versioned hash of exactly what desiredTaskDefinition takes from config when it patches a
 * live revision (taskPatch: the declared task-level fields, the environment mode, the container's
 * declared members), plus the image, container name, family and content tag.
 * Not the git sha, deployer or other per-registration tags (they change every commit and are never
 * a reason to deploy), and not what only the bootstrap (no live revision) path reads, like the
 * network mode or the default cpu/memory: including them would make such a config change send every
 * no-op down the full path forever, since an up-to-date deploy never rewrites the tag. See spec.ts.
 */
export function specFingerprint(app: AppDeployConfig, env: EnvironmentConfig, imageRef: string, contentTag: string): string {
  const patch = taskPatch(app, env);
  patch.task = { ...patch.task, cpu: normaliseCpu(patch.task.cpu), memory: normaliseMemory(patch.task.memory) };
  const spec = { family: app.family, containerName: app.containerName, imageRef, contentTag, patch };
  const hash = createHash('sha256').update(JSON.stringify(prune(spec))).digest('hex').slice(0, 24);
  return `${SPEC_VERSION}-${hash}`;
}

/** The image of the app's container (or the first container) in a task definition. */
export function containerImage(td: { containerDefinitions?: ContainerDef[] } | undefined, containerName?: string): string | undefined {
  const cs = td?.containerDefinitions ?? [];
  return (cs.find((c) => c.name === containerName) ?? cs[0])?.image;
}

/** `host/repo:tag` -> `tag` (digest references give undefined). */
export function imageTagOf(imageRef: string | undefined): string | undefined {
  if (!imageRef || imageRef.includes('@')) return undefined;
  const slash = imageRef.lastIndexOf('/');
  const colon = imageRef.lastIndexOf(':');
  return colon > slash ? imageRef.slice(colon + 1) : undefined;
}

export const tagValue = (tags: EcsTag[] | undefined, key: string): string | undefined => tags?.find((t) => t.key === key)?.value;

const CPU_UNITS: Record<string, string> = { '0.25': '256', '.25': '256', '0.5': '512', '.5': '512', '1': '1024', '2': '2048', '4': '4096', '8': '8192', '16': '16384' };

/** `"0.25 vCPU"` -> `"256"`; `"1 GB"` -> `"1024"`; numbers stay as strings. */
export function normaliseCpu(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*([\d.]+)\s*vcpu\s*$/i.exec(v);
  return m ? (CPU_UNITS[m[1]] ?? String(Math.round(Number(m[1]) * 1024))) : String(v).trim();
}
export function normaliseMemory(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*([\d.]+)\s*gb\s*$/i.exec(v);
  return m ? String(Math.round(Number(m[1]) * 1024)) : String(v).trim();
}

const byName = (a: { name?: string }, b: { name?: string }) => (a.name ?? '').localeCompare(b.name ?? '');

function prune(v: unknown): unknown {
  if (Array.isArray(v)) {
    const arr = v.map(prune).filter((x) => x !== undefined);
    return arr.length ? arr : undefined;
  }
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const p = prune((v as Record<string, unknown>)[k]);
      if (p !== undefined) out[k] = p;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v === null ? undefined : v;
}

/**
 * A canonical form for comparing: server fields dropped, environment/secrets/port mappings sorted,
 * cpu/memory in units, hostPort implied by awsvpc dropped, empty members removed, keys sorted, and
 * ferry's own tags (content tag, git sha, status) left out: the image shows the content.
 */
export function normaliseTaskDefinition(td: RegisterTaskDefinitionInput | EcsTaskDefinition, tags?: EcsTag[]): Record<string, unknown> {
  const base = stripServerFields(td as EcsTaskDefinition) as RegisterTaskDefinitionInput;
  const awsvpc = base.networkMode === 'awsvpc';
  const containers = (base.containerDefinitions ?? []).map((c) => ({
    ...c,
    environment: [...(c.environment ?? [])].sort(byName),
    secrets: [...(c.secrets ?? [])].sort(byName),
    portMappings: [...(c.portMappings ?? [])]
      .map((p) => {
        const q = { ...p, protocol: p.protocol ?? 'tcp' };
        if (awsvpc && q.hostPort === q.containerPort) delete q.hostPort;
        return q;
      })
      .sort((a, b) => (a.containerPort ?? 0) - (b.containerPort ?? 0)),
  }));
  // ferry's content tag names the image's tag: the image line already shows (and compares) it.
  // AWS's own `aws:` tags (CloudFormation's stack tags) cannot be sent with a registration (metaTags),
  // so they are never a difference a deploy could remove or keep.
  const allTags = (tags ?? base.tags ?? [])
    .filter((t) => !META_TAGS.has(t.key ?? '') && t.key !== TAG_CONTENT && !(t.key ?? '').toLowerCase().startsWith('aws:'))
    .sort((a, b) => (a.key ?? '').localeCompare(b.key ?? ''));
  const out = {
    ...base,
    cpu: normaliseCpu(base.cpu),
    memory: normaliseMemory(base.memory),
    containerDefinitions: containers.sort(byName),
    tags: allTags,
  };
  return (prune(out) as Record<string, unknown>) ?? {};
}

const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE|CREDENTIAL)/i;
const SECRET_VALUE = /^(AKIA|ASIA)[A-Z0-9]{16}$|^-----BEGIN|^[A-Za-z0-9+/_-]{32,}={0,2}$/;

/** Register input safe to print: secret-looking environment values masked. */
export function maskRegisterInput(input: RegisterTaskDefinitionInput): RegisterTaskDefinitionInput {
  return maskSecrets(input as unknown as Record<string, unknown>) as unknown as RegisterTaskDefinitionInput;
}

/** Environment values that look like secrets become `<masked sha256:xxxxxxxx>`: a change still shows, the value never does. */
export function maskSecrets(norm: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(norm) as { containerDefinitions?: { environment?: { name: string; value: string }[] }[] };
  for (const c of copy.containerDefinitions ?? []) {
    for (const e of c.environment ?? []) {
      if (SECRET_NAME.test(e.name) || SECRET_VALUE.test(e.value ?? '')) {
        e.value = `<masked sha256:${createHash('sha256').update(String(e.value)).digest('hex').slice(0, 8)}>`;
      }
    }
  }
  return copy as Record<string, unknown>;
}

/** Line-by-line diff of two texts (LCS); lines prefixed `- `, `+ `, `  `. */
export function diffLines(a: string[], b: string[]): string[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push(`  ${a[i]}`);
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push(`- ${a[i++]}`);
    else out.push(`+ ${b[j++]}`);
  }
  while (i < n) out.push(`- ${a[i++]}`);
  while (j < m) out.push(`+ ${b[j++]}`);
  return out;
}

/**
 * The normalised, secret-masked diff of two task definitions as text, with 3 lines of context
 * around each change; '' when they are the same. `null` stands for "no task definition".
 */
export function diffTaskDefinitions(a: Record<string, unknown> | null, b: Record<string, unknown> | null, context = 3): string {
  const text = (x: Record<string, unknown> | null) => (x ? JSON.stringify(maskSecrets(x), null, 2).split('\n') : []);
  const lines = diffLines(text(a), text(b));
  if (!lines.some((l) => !l.startsWith('  '))) return '';
  const keep = new Array<boolean>(lines.length).fill(false);
  lines.forEach((l, idx) => {
    if (l.startsWith('  ')) return;
    for (let k = Math.max(0, idx - context); k <= Math.min(lines.length - 1, idx + context); k++) keep[k] = true;
  });
  const out: string[] = [];
  let skipped = false;
  lines.forEach((l, idx) => {
    if (keep[idx]) {
      out.push(l);
      skipped = false;
    } else if (!skipped) {
      out.push('  …');
      skipped = true;
    }
  });
  return out.join('\n');
}

/** Whether two task definitions are the same once normalised. */
export const sameTaskDefinition = (a: Record<string, unknown>, b: Record<string, unknown>): boolean => JSON.stringify(a) === JSON.stringify(b);
