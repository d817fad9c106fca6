/**
 * Task definitions as data: strip what the server fills in, derive the desired revision from the
 * live one plus the app's config, normalise and diff the way ecspresso does. All pure.
 */
import { createHash } from 'node:crypto';
import type { AppDeployConfig, EnvironmentConfig } from '@ferry/core';
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
const META_TAGS = new Set([TAG_GIT_SHA, TAG_STATUS, TAG_COMPLETED_AT, TAG_DEPLOYED_BY, TAG_DEPLOYED_AT, TAG_RETURNED_AT, TAG_RESULT]);

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
}

type ContainerDef = NonNullable<RegisterTaskDefinitionInput['containerDefinitions']>[number];

const envList = (rec: Record<string, string>) => Object.keys(rec).sort().map((name) => ({ name, value: rec[name] }));
const secretList = (rec: Record<string, string>) => Object.keys(rec).sort().map((name) => ({ name, valueFrom: rec[name] }));

function metaTags(existing: EcsTag[], meta: RevisionMeta): EcsTag[] {
  // `aws:`-prefixed keys are AWS's own (CloudFormation, Service Catalog…): a user request may not
  // set them (ECS refuses RegisterTaskDefinition with them: "Tag keys ... cannot start with aws:",
  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-using-tags.html#tag-restrictions).
  const kept = existing.filter((t) => t.key !== TAG_CONTENT && !META_TAGS.has(t.key ?? '') && !(t.key ?? '').toLowerCase().startsWith('aws:'));
  const added: EcsTag[] = [{ key: TAG_CONTENT, value: meta.contentTag }];
  if (meta.gitSha) added.push({ key: TAG_GIT_SHA, value: meta.gitSha });
  return [...kept, ...added];
}

function applyConfig(c: ContainerDef, app: AppDeployConfig, imageRef: string, awsvpc: boolean, logs: LogsPlan): ContainerDef {
  // The PORT contract: an app with a containerPort gets PORT=<containerPort> on every backend; the
  // sandbox replaces only that value per task (its tasks share the host network, docs/sandbox.md).
  const environment = app.containerPort !== undefined ? { ...app.environment, PORT: String(app.containerPort) } : app.environment;
  const out: ContainerDef = { ...c, image: imageRef, environment: envList(environment), secrets: secretList(app.secrets) };
  if (out.secrets?.length === 0) delete out.secrets;
  if (app.containerPort !== undefined) {
    const keep = c.portMappings?.find((p) => p.containerPort === app.containerPort);
    out.portMappings = [keep ?? { containerPort: app.containerPort, ...(awsvpc && { hostPort: app.containerPort }), protocol: 'tcp' }];
  }
  if (app.containerHealthCheck) out.healthCheck = { ...app.containerHealthCheck };
  if (app.stopTimeout !== undefined) out.stopTimeout = app.stopTimeout;
  if (app.initProcessEnabled !== undefined) out.linuxParameters = { ...c.linuxParameters, initProcessEnabled: app.initProcessEnabled };
  const logConfiguration = containerLogConfiguration(logs);
  if (logConfiguration) out.logConfiguration = logConfiguration as ContainerDef['logConfiguration'];
  return out;
}

/**
 * The revision to register: from the live one, only the image and the fields the config declares
 * change (environment, secrets, port mapping, container health check, log configuration,
 * cpu/memory, ferry's tags; the environment's execution role when awslogs needs one and the live
 * revision has none).
 * With no live definition, one is bootstrapped from config: awsvpc/FARGATE with the execution role
 * for `aws` environments; the sandbox accepts the same shape and runs it as a Docker container.
 */
export function desiredTaskDefinition(
  live: TaskDefinitionWithTags | null,
  app: AppDeployConfig,
  env: EnvironmentConfig,
  imageRef: string,
  meta: RevisionMeta,
): RegisterTaskDefinitionInput {
  const logs = logsPlan(app, env);
  if (live) {
    const base = stripServerFields(live.taskDefinition);
    const awsvpc = base.networkMode === 'awsvpc';
    const containers = base.containerDefinitions ?? [];
    const idx = containers.findIndex((c) => c.name === app.containerName);
    const next =
      idx >= 0
        ? containers.map((c, i) => (i === idx ? applyConfig(c, app, imageRef, awsvpc, logs) : c))
        : [...containers, applyConfig({ name: app.containerName, essential: true }, app, imageRef, awsvpc, logs)];
    const role = logs.kind === 'awslogs' && !base.executionRoleArn && env.executionRoleArn ? { executionRoleArn: env.executionRoleArn } : {};
    return { ...base, ...role, family: app.family, containerDefinitions: next, cpu: app.cpu, memory: app.memory, tags: metaTags(live.tags, meta) };
  }
  const container = applyConfig({ name: app.containerName, essential: true }, app, imageRef, true, logs);
  return {
    family: app.family,
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: app.cpu,
    memory: app.memory,
    ...(env.executionRoleArn && { executionRoleArn: env.executionRoleArn }),
    containerDefinitions: [container],
    tags: metaTags([], meta),
  };
}

/** Bump when desiredTaskDefinition changes what it derives from config: old spec tags then stop matching. */
export const SPEC_VERSION = 'v1';

/**
 * A short, versioned hash of exactly what desiredTaskDefinition takes from config when it patches a
 * live revision: the app's container as applyConfig makes it (image, environment, secrets, port
 * mapping, container health check, log configuration, container name), cpu, memory, family and
 * the content tag.
 * Not the git sha, deployer or other per-registration tags (they change every commit and are never
 * a reason to deploy), and not the execution role or network mode, which only the bootstrap (no
 * live revision) path reads: including them would make such a config change send every no-op down
 * the full path forever, since an up-to-date deploy never rewrites the tag. See spec.ts.
 */
export function specFingerprint(app: AppDeployConfig, env: EnvironmentConfig, imageRef: string, contentTag: string): string {
  const spec = {
    family: app.family,
    cpu: normaliseCpu(app.cpu),
    memory: normaliseMemory(app.memory),
    contentTag,
    container: applyConfig({ name: app.containerName, essential: true }, app, imageRef, true, logsPlan(app, env)),
  };
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
 * ferry's per-registration tags (git sha, status) left out.
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
  const allTags = (tags ?? base.tags ?? []).filter((t) => !META_TAGS.has(t.key ?? '')).sort((a, b) => (a.key ?? '').localeCompare(b.key ?? ''));
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
