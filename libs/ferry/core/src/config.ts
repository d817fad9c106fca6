/**
 * Loads and validates ferry.json and deploy.json into the types of config-types.ts. Every problem
 * becomes one FerryError('CONFIG_INVALID') paragraph naming the file, the field (as a JSON path),
 * what is wrong and an example of a right value; the other problems, if any, go into `details`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { AppDeployConfig, AutoscalingSettings, DeclaredField, EnvironmentConfig, MigrateSettings, WorkspaceConfig } from './config-types.ts';
import { SCHEMA_DIR } from './commands.ts';
import { splitCommandLine } from './command-line.ts';
import { FerryError } from './errors.ts';
import { assertValidName, showValue, suggest } from './names.ts';
import { validateDeploy, validateFerry } from './validators.generated.ts';

const schemaDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'schema');
/** Absolute paths of the JSON schemas (for editor `$schema` references and tools). */
export const DEPLOY_SCHEMA_PATH = join(schemaDir, 'deploy.schema.json');
export const FERRY_SCHEMA_PATH = join(schemaDir, 'ferry.schema.json');

type Json = Record<string, unknown>;

/**
 * The schemas' validators, compiled ahead of time (tools/schema/validators.mjs): compiling them with
 * ajv at start-up cost every ferry process ~80 ms.
 */
const validators: { deploy: ValidateFunction; ferry: ValidateFunction } = { deploy: validateDeploy as ValidateFunction, ferry: validateFerry as ValidateFunction };

/** The environment used when ferry.json does not exist: the local sandbox only. */
export const DEFAULT_LOCAL_ENVIRONMENT: EnvironmentConfig = {
  name: 'local',
  kind: 'sandbox',
  region: 'us-east-1',
  cluster: 'ferry-local',
  accountId: '000000000000',
  endpoint: 'http://127.0.0.1:4566',
  registry: '127.0.0.1:5000',
  buildArgs: { BASE_IMAGE: 'ferry-sandbox/node:20' },
  executionRoleArn: 'arn:aws:iam::000000000000:role/ferry-sandbox-task-execution',
  network: { subnets: ['subnet-0000000000000000f'], securityGroups: ['sg-0000000000000000f'] },
};

/**
 * What a sandbox environment sends where an `aws` one needs real values, so the sandbox can refuse
 * what ECS refuses (awslogs or secrets without an execution role, an awsvpc service without
 * networkConfiguration) and ferry's own requests pass the same checks: a task execution role in the
 * sandbox's account and a placeholder subnet and security group (docs/sandbox.md).
 */
function sandboxDefaults(env: EnvironmentConfig): void {
  env.endpoint ??= DEFAULT_LOCAL_ENVIRONMENT.endpoint;
  // A sandbox environment on another account's registry learns its host from GetAuthorizationToken.
  if (!env.registryId) env.registry ??= DEFAULT_LOCAL_ENVIRONMENT.registry;
  env.accountId ??= DEFAULT_LOCAL_ENVIRONMENT.accountId;
  env.executionRoleArn ??= `arn:aws:iam::${env.accountId}:role/ferry-sandbox-task-execution`;
  env.network ??= structuredClone(DEFAULT_LOCAL_ENVIRONMENT.network);
}

/** How a file is named in messages: relative to the workspace root when inside it. */
export function displayPath(file: string, workspaceRoot?: string): string {
  let root = workspaceRoot;
  if (!root) {
    let dir = dirname(resolve(file));
    for (;;) {
      if (existsSync(join(dir, 'nx.json'))) {
        root = dir;
        break;
      }
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  if (!root) return file;
  const rel = relative(root, resolve(file));
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel.split('\\').join('/');
}

/** Reads a JSON file; invalid JSON is a CONFIG_INVALID naming the line and column. */
export function readJsonFile(file: string, shown = displayPath(file)): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FerryError('CONFIG_MISSING', `${shown}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)}).`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const lc = /line (\d+) column (\d+)/.exec(msg);
    let where = '';
    if (lc) where = ` at line ${lc[1]}, column ${lc[2]}`;
    else if (pos) {
      const before = text.slice(0, Number(pos[1]));
      const line = before.split('\n').length;
      const column = Number(pos[1]) - before.lastIndexOf('\n');
      where = ` at line ${line}, column ${column}`;
    } else if (/end of JSON input/i.test(msg)) {
      const lines = text.split('\n');
      where = ` at line ${lines.length}, column ${lines[lines.length - 1].length + 1} (the file ends too early)`;
    }
    const reason = msg.replace(/\s*in JSON at position \d+.*$/s, '').replace(/^JSON\.parse: /, '').replace(/, "[\s\S]*" is not valid JSON$/, ' is not valid JSON');
    throw new FerryError('CONFIG_INVALID', `${shown}: invalid JSON${where}: ${reason}. Check for a missing comma, a trailing comma or an unquoted key.`);
  }
}

/** `/deployment/minimumHealthyPercent` -> `deployment.minimumHealthyPercent`; `/smoke/checks/0` -> `smoke.checks[0]`. */
export function jsonPointerToPath(pointer: string): string {
  if (!pointer) return '';
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function joinPath(base: string, key: string): string {
  if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key)) return base ? `${base}.${key}` : key;
  return `${base}[${JSON.stringify(key)}]`;
}

function exampleOf(schema: Json | undefined): unknown {
  const ex = schema?.examples;
  return Array.isArray(ex) && ex.length > 0 ? ex[0] : undefined;
}

function lastKey(path: string): string | undefined {
  const m = /(?:^|\.)([A-Za-z_$][A-Za-z0-9_$-]*)$/.exec(path);
  return m?.[1];
}

function exampleText(path: string, schema: Json | undefined, got?: unknown): string {
  // A number or boolean where a string is expected: the best example is the same value, quoted.
  const quoted = schema?.type === 'string' && (typeof got === 'number' || typeof got === 'boolean');
  const ex = quoted ? String(got) : exampleOf(schema);
  if (ex === undefined) return '';
  const key = lastKey(path);
  return key ? ` Example: ${JSON.stringify(key)}: ${JSON.stringify(ex)}` : ` Example: ${JSON.stringify(ex)}`;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : showValue(value);
}

/** Turns one ajv error into a sentence (without the file prefix). */
function describeError(err: ErrorObject, root: unknown): string {
  const path = jsonPointerToPath(err.instancePath);
  const parent = (err.parentSchema ?? {}) as Json;
  const name = path || 'the file';
  switch (err.keyword) {
    case 'additionalProperties': {
      const field = (err.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((parent.properties as Json) ?? {}).filter((k) => k !== '$schema');
      const guess = suggest(field, known);
      const full = joinPath(path, field);
      const hint = guess ? ` Did you mean ${JSON.stringify(guess)}?` : '';
      const list = known.length ? ` Known fields${path ? ` of ${path}` : ''}: ${known.join(', ')}.` : '';
      return `unknown field ${JSON.stringify(full)}.${hint}${list}`;
    }
    case 'required': {
      const missing = (err.params as { missingProperty: string }).missingProperty;
      const sub = ((parent.properties as Json) ?? {})[missing] as Json | undefined;
      return `${path ? `${path} is` : 'the file is'} missing the required field ${JSON.stringify(missing)}.${exampleText(missing, sub)}`;
    }
    case 'minProperties':
      return `${name} must not be empty.${exampleText(path, parent)}`;
    case 'propertyNames':
      return '';
  }
  if (err.propertyName !== undefined) {
    const expect = (parent['x-expect'] as string) ?? 'a valid name';
    return `${path ? `${path} has` : 'the file has'} the key ${showValue(err.propertyName)}, which must be ${expect}.${exampleOf(parent) !== undefined ? ` Example: ${JSON.stringify(exampleOf(parent))}` : ''}`;
  }
  const expect = parent['x-expect'] as string | undefined;
  let value: unknown = err.data;
  if (value === undefined) value = pick(root, err.instancePath);
  const got = err.keyword === 'type' && value !== null && typeof value === 'object' ? describeType(value) : showValue(value);
  const what = expect ?? (err.message ? err.message.replace(/^must /, '') : 'valid');
  return `${name} must be ${what} (got ${got}).${exampleText(path, parent, value)}`;
}

function pick(root: unknown, pointer: string): unknown {
  let cur: unknown = root;
  for (const seg of pointer.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Json)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

/** Validates `data` with `validate`; throws one CONFIG_INVALID paragraph (first problem), the rest in details. */
function check(validate: ValidateFunction, data: unknown, shown: string): void {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new FerryError('CONFIG_INVALID', `${shown}: the file must hold a JSON object (got ${describeType(data)}). Example: { "service": "api" }`);
  }
  if (validate(data)) return;
  const sentences: string[] = [];
  const seen = new Set<string>();
  for (const err of validate.errors ?? []) {
    const s = describeError(err, data);
    if (!s || seen.has(s)) continue;
    seen.add(s);
    sentences.push(s);
  }
  // Prefer the precise complaint about a value over a generic one (e.g. "unknown field" before a sibling's type).
  const [first, ...rest] = sentences.length ? sentences : ['does not match the schema.'];
  throw new FerryError('CONFIG_INVALID', `${shown}: ${first}${rest.length ? ` (${rest.length} more problem${rest.length > 1 ? 's' : ''} below.)` : ''}`, {
    details: rest.map((s) => `${shown}: ${s}`),
  });
}

/**
 * Reads `<workspaceRoot>/ferry.json`. When the file does not exist, the built-in default holds one
 * environment, `local` (the sandbox at 127.0.0.1:4566 with its registry at 127.0.0.1:5000).
 * Sandbox environments get `endpoint`, `registry`, `accountId`, `executionRoleArn` and `network`
 * defaults when they omit them (sandboxDefaults).
 */
export function loadWorkspaceConfig(workspaceRoot: string): WorkspaceConfig {
  const file = join(workspaceRoot, 'ferry.json');
  if (!existsSync(file)) {
    return { file, defaultEnvironment: 'local', environments: { local: structuredClone(DEFAULT_LOCAL_ENVIRONMENT) } };
  }
  const shown = displayPath(file, workspaceRoot);
  const raw = readJsonFile(file, shown) as Json;
  check(validators.ferry, raw, shown);
  const environments: Record<string, EnvironmentConfig> = {};
  for (const [name, envRaw] of Object.entries(raw.environments as Record<string, Json>)) {
    const env = { name, ...structuredClone(envRaw) } as unknown as EnvironmentConfig;
    if (env.kind === 'sandbox') sandboxDefaults(env);
    env.buildArgs ??= {};
    environments[name] = env;
  }
  const names = Object.keys(environments);
  const defaultEnvironment = (raw.defaultEnvironment as string | undefined) ?? (environments.local ? 'local' : names[0]);
  if (!environments[defaultEnvironment]) {
    const guess = suggest(defaultEnvironment, names);
    throw new FerryError(
      'CONFIG_INVALID',
      `${shown}: defaultEnvironment must be the name of one of the environments (got ${showValue(defaultEnvironment)}).${guess ? ` Did you mean ${JSON.stringify(guess)}?` : ''} Known environments: ${names.join(', ')}. Example: "defaultEnvironment": ${JSON.stringify(names[0])}`,
    );
  }
  return { file, defaultEnvironment, environments };
}

/** Reads and validates a deploy.json without applying defaults (the raw fields the user wrote). */
export function readAppConfigRaw(file: string, shown = displayPath(file)): Json {
  if (!existsSync(file)) {
    throw new FerryError('CONFIG_MISSING', `${shown} does not exist. Create it with at least { "$schema": "<relative path to>/${SCHEMA_DIR}/deploy.schema.json" } (all fields have defaults; see docs/configuration.md).`);
  }
  const raw = readJsonFile(file, shown) as Json;
  check(validators.deploy, raw, shown);
  return raw;
}

const OBJECT_FIELDS = new Set(['buildArgs', 'environment', 'secrets', 'deployment', 'lifecycle', 'smoke', 'containerHealthCheck', 'logs', 'loadBalancer', 'autoscaling']);

/**
 * Merges per-environment overrides over the base fields: scalars and arrays replace, object-valued
 * fields (buildArgs, environment, secrets, deployment, lifecycle, smoke, containerHealthCheck, logs, loadBalancer, autoscaling) merge
 * one level deep so an override can change one key without repeating the others.
 */
export function mergeOverride(base: Json, override: Json | undefined): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(override ?? {})) {
    const cur = out[k];
    if (OBJECT_FIELDS.has(k) && cur && typeof cur === 'object' && !Array.isArray(cur) && v && typeof v === 'object' && !Array.isArray(v)) {
      out[k] = { ...(cur as Json), ...(v as Json) };
    } else out[k] = v;
  }
  return out;
}

/** Applies the documented defaults to validated raw fields and checks names derived from the project name. */
export function applyAppDefaults(raw: Json, file: string, project: string, shown = displayPath(file)): AppDeployConfig {
  const r = raw as Partial<AppDeployConfig> & Json;
  const dep = (r.deployment ?? {}) as Partial<AppDeployConfig['deployment']>;
  const life = (r.lifecycle ?? {}) as Partial<AppDeployConfig['lifecycle']>;
  const derived = (field: 'repository' | 'service' | 'containerName', kind: 'repository' | 'service' | 'containerName') => {
    if (r[field] !== undefined) return r[field] as string;
    const value = kind === 'repository' ? project.toLowerCase() : project;
    return assertValidName(kind, value, `${shown}: ${field} (defaulted from the project name ${JSON.stringify(project)}; set ${JSON.stringify(field)} in deploy.json)`);
  };
  const service = derived('service', 'service');
  const app: AppDeployConfig = {
    file: resolve(file),
    project,
    repository: derived('repository', 'repository'),
    service,
    family: (r.family as string | undefined) ?? service,
    containerName: derived('containerName', 'containerName'),
    dockerfile: r.dockerfile ?? 'Dockerfile',
    context: r.context ?? '.',
    buildArgs: { ...(r.buildArgs ?? {}) },
    platform: r.platform ?? 'linux/amd64',
    desiredCount: r.desiredCount ?? 1,
    cpu: r.cpu ?? '256',
    memory: r.memory ?? '512',
    environment: { ...(r.environment ?? {}) },
    secrets: { ...(r.secrets ?? {}) },
    healthCheckStatus: r.healthCheckStatus ?? 200,
    logs: r.logs === false ? false : structuredClone(r.logs ?? {}),
    smoke: { checks: structuredClone(r.smoke?.checks ?? []), ...(r.smoke?.script !== undefined ? { script: r.smoke.script } : {}) },
    deployment: {
      minimumHealthyPercent: dep.minimumHealthyPercent ?? 100,
      maximumPercent: dep.maximumPercent ?? 200,
      circuitBreaker: { enable: dep.circuitBreaker?.enable ?? true, rollback: dep.circuitBreaker?.rollback ?? true },
      timeoutSeconds: dep.timeoutSeconds ?? 600,
      declared: (['minimumHealthyPercent', 'maximumPercent', 'circuitBreaker'] as const).filter((k) => dep[k] !== undefined),
      ...(dep.timeoutSeconds !== undefined && { timeoutExplicit: true }),
    },
    lifecycle: { keepTaggedImages: life.keepTaggedImages ?? 30, untaggedExpireDays: life.untaggedExpireDays ?? 1 },
    keepRevisions: r.keepRevisions ?? 10,
    rollbackOn: [...(r.rollbackOn ?? ['health', 'smoke'])],
    environmentMode: (r.environmentMode as AppDeployConfig['environmentMode'] | undefined) ?? 'merge',
    declared: Object.keys(r).filter((k) => k !== '$schema' && k !== 'environments').sort() as DeclaredField[],
    environments: structuredClone((r.environments ?? {}) as AppDeployConfig['environments']),
  };
  if (r.launchType !== undefined) app.launchType = r.launchType;
  if (r.capacityProviderStrategy !== undefined) app.capacityProviderStrategy = structuredClone(r.capacityProviderStrategy);
  if (r.taskRoleArn !== undefined) app.taskRoleArn = r.taskRoleArn;
  if (r.executionRoleArn !== undefined) app.executionRoleArn = r.executionRoleArn;
  if (r.stopTimeout !== undefined) app.stopTimeout = r.stopTimeout;
  if (r.taskDefinition !== undefined) app.taskDefinition = r.taskDefinition;
  if (app.launchType && app.capacityProviderStrategy) {
    throw new FerryError(
      'CONFIG_INVALID',
      `${shown}: launchType and capacityProviderStrategy are both set; ECS accepts one or the other (CreateService). Keep one, per environment if needed. Example: "capacityProviderStrategy": [{ "capacityProvider": "FARGATE_SPOT", "weight": 1 }]`,
    );
  }
  if (r.containerPort !== undefined) app.containerPort = r.containerPort;
  if (r.healthCheckPath !== undefined) app.healthCheckPath = r.healthCheckPath;
  if (r.url !== undefined) app.url = r.url;
  if (r.loadBalancer !== undefined) app.loadBalancer = structuredClone(r.loadBalancer);
  if (r.autoscaling !== undefined) app.autoscaling = checkAutoscaling(structuredClone(r.autoscaling), shown);
  if (r.containerHealthCheck !== undefined) app.containerHealthCheck = structuredClone(r.containerHealthCheck);
  if (r.initProcessEnabled !== undefined) app.initProcessEnabled = r.initProcessEnabled;
  const migrate = migrateSettings(r.migrate as unknown, shown);
  if (migrate) app.migrate = migrate;
  if (app.deployment.maximumPercent < app.deployment.minimumHealthyPercent) {
    throw new FerryError(
      'CONFIG_INVALID',
      `${shown}: deployment.maximumPercent (${app.deployment.maximumPercent}) must be at least deployment.minimumHealthyPercent (${app.deployment.minimumHealthyPercent}). Example: "maximumPercent": 200`,
    );
  }
  if (app.healthCheckPath !== undefined && app.containerPort === undefined) {
    throw new FerryError('CONFIG_INVALID', `${shown}: healthCheckPath is set but containerPort is not; the health check needs the port the container listens on. Example: "containerPort": 3000`);
  }
  return app;
}

/**
 * What the schema cannot say about `autoscaling` and Application Auto Scaling refuses
 * (RegisterScalableTarget: MinCapacity ≤ MaxCapacity; a target-tracking percentage of CPU or memory
 * above 100 can never be reached), and one policy per metric (ferry names them `ferry-<metric>`).
 */
export function checkAutoscaling(a: AutoscalingSettings, shown: string): AutoscalingSettings {
  const example = 'Example: "autoscaling": { "min": 1, "max": 4, "targetTracking": [{ "metric": "cpu", "target": 60 }] }';
  if (a.min > a.max) throw new FerryError('CONFIG_INVALID', `${shown}: autoscaling.min (${a.min}) must not be greater than autoscaling.max (${a.max}). ${example}`);
  const seen = new Set<string>();
  for (const [i, t] of a.targetTracking.entries()) {
    if (seen.has(t.metric)) throw new FerryError('CONFIG_INVALID', `${shown}: autoscaling.targetTracking[${i}] repeats the metric "${t.metric}"; declare one policy per metric. ${example}`);
    seen.add(t.metric);
    if (t.metric !== 'requests' && t.target > 100) {
      throw new FerryError('CONFIG_INVALID', `${shown}: autoscaling.targetTracking[${i}].target (${t.target}) is a percentage of ${t.metric} utilisation: at most 100. ${example}`);
    }
  }
  return a;
}

/** Default time a migration may run before ferry stops it. */
export const DEFAULT_MIGRATE_TIMEOUT_SECONDS = 900;

/** `migrate` as validated by the schema (false, a command line, arguments, or an object) → settings, or undefined. */
export function migrateSettings(raw: unknown, shown: string): MigrateSettings | undefined {
  if (raw === undefined || raw === false || raw === null) return undefined;
  const o = (typeof raw === 'object' && !Array.isArray(raw) ? raw : { command: raw }) as { command: string | string[]; timeoutSeconds?: number; environment?: Record<string, string> };
  let command: string[];
  try {
    command = typeof o.command === 'string' ? splitCommandLine(o.command) : [...o.command];
  } catch (e) {
    throw new FerryError('CONFIG_INVALID', `${shown}: migrate.command: ${(e as Error).message}`);
  }
  if (command.length === 0) throw new FerryError('CONFIG_INVALID', `${shown}: migrate.command is empty. Example: "migrate": "node dist/migrate.js"`);
  return { command, timeoutSeconds: o.timeoutSeconds ?? DEFAULT_MIGRATE_TIMEOUT_SECONDS, environment: { ...(o.environment ?? {}) } };
}

/**
 * Loads `<projectRoot>/deploy.json` for `project`: validates it against deploy.schema.json and
 * applies the defaults documented in config-types.ts. Per-environment overrides stay in
 * `environments` (validated); `resolveApp` applies them.
 */
export function loadAppConfig(file: string, project: string): AppDeployConfig {
  const shown = displayPath(file);
  return applyAppDefaults(readAppConfigRaw(file, shown), file, project, shown);
}
