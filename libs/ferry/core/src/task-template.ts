/**
 * Template mode: deploy.json `taskDefinition` names a committed JSON file in RegisterTaskDefinition's
 * input shape, the whole task definition as the team wants it (sidecars, volumes, FireLens, ulimits,
 * ephemeral storage: whatever ECS accepts). ferry fills its placeholders, sets the app container's
 * image, validates the result against ECS's own model (the vendored botocore model the sandbox
 * validates requests with) and registers it as written.
 *
 * Placeholders (in string values only):
 *   ${image}              the app's image, `<registry>/<repository>:<content tag>`
 *   ${tag}                the content tag
 *   ${env.NAME}           deploy.json `environment.NAME` for the environment deployed to
 *   ${app:<project>.url}  another app's URL in the same environment (as in deploy.json's environment)
 *   ${environment} ${region} ${cluster} ${service}   the ferry environment's name, Region, cluster; the service
 *   $${                   a literal `${`
 *
 * The template is the task definition: deploy.json fields that would also set part of it are refused
 * (templateConflicts) instead of one silently winning. Pure, apart from reading the file and the model.
 *
 * The check of RegisterTaskDefinition's input is compiled from the vendored ECS model once per run
 * (`registerInputCheck`, a session part; ~4 ms: reading and parsing the 135 KB model, then compiling)
 * and carried by the loaded template, so every render of it in the run reuses it.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { loadModel, shapeCheck, type Violation } from './aws-models.ts';
import type { AppDeployConfig, DeclaredField, EnvironmentConfig, RegisterInputCheck, TaskTemplate } from './config-types.ts';
import { displayPath, readJsonFile } from './config.ts';
import { FerryError } from './errors.ts';
import { showValue, suggest } from './names.ts';
import { sessionPart, type RunSession } from './session.ts';

type Json = Record<string, unknown>;

/** What the placeholders stand for in one render. */
export interface TemplateValues {
  image: string;
  tag: string;
  environment: string;
  region: string;
  cluster: string;
  service: string;
  /** deploy.json `environment` for this environment (app URLs in it already resolved where known). */
  env: Record<string, string>;
  /** The URL of another app; undefined when it was not resolved. */
  url: (project: string) => string | undefined;
}

export const TEMPLATE_PLACEHOLDERS = ['${image}', '${tag}', '${env.NAME}', '${app:<project>.url}', '${environment}', '${region}', '${cluster}', '${service}'];
const SIMPLE = new Set(['image', 'tag', 'environment', 'region', 'cluster', 'service']);
const TOKEN = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const APP_URL = /^app:([A-Za-z0-9][A-Za-z0-9_.@/-]*?)\.url$/;
const ENV_NAME = /^env\.([A-Za-z_][A-Za-z0-9_]*)$/;

/** One placeholder found in a template string. */
export type Placeholder = { kind: 'simple'; name: string } | { kind: 'env'; name: string } | { kind: 'app'; project: string } | { kind: 'unknown'; text: string } | { kind: 'unterminated' };

function classify(inner: string | undefined): Placeholder {
  if (inner === undefined) return { kind: 'unterminated' };
  if (SIMPLE.has(inner)) return { kind: 'simple', name: inner };
  const env = ENV_NAME.exec(inner);
  if (env) return { kind: 'env', name: env[1] };
  const app = APP_URL.exec(inner);
  if (app) return { kind: 'app', project: app[1] };
  return { kind: 'unknown', text: `\${${inner}}` };
}

/** Every placeholder of one string (escapes skipped). */
export function placeholdersOf(value: string): Placeholder[] {
  const out: Placeholder[] = [];
  for (const m of value.matchAll(TOKEN)) if (m[0] !== '$${') out.push(classify(m[0] === '${' ? undefined : m[1]));
  return out;
}

const pathJoin = (base: string, key: string | number) =>
  typeof key === 'number' ? `${base}[${key}]` : /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key) ? (base ? `${base}.${key}` : key) : `${base}[${JSON.stringify(key)}]`;

/** Every string value of a JSON document with its path (`containerDefinitions[0].environment[1].value`). */
export function stringsOf(doc: unknown, path = ''): { path: string; value: string }[] {
  if (typeof doc === 'string') return [{ path, value: doc }];
  if (Array.isArray(doc)) return doc.flatMap((x, i) => stringsOf(x, pathJoin(path, i)));
  if (doc && typeof doc === 'object') return Object.entries(doc).flatMap(([k, v]) => stringsOf(v, pathJoin(path, k)));
  return [];
}

/** The projects whose URL a template references. */
export function templateAppRefs(raw: unknown): string[] {
  const out = new Set<string>();
  for (const s of stringsOf(raw)) for (const p of placeholdersOf(s.value)) if (p.kind === 'app') out.add(p.project);
  return [...out].sort();
}

/** The names `${env.NAME}` refers to anywhere in the template. */
export function templateEnvRefs(raw: unknown): Set<string> {
  const out = new Set<string>();
  for (const s of stringsOf(raw)) for (const p of placeholdersOf(s.value)) if (p.kind === 'env') out.add(p.name);
  return out;
}

const known = `Known placeholders: ${TEMPLATE_PLACEHOLDERS.join(', ')}; write $\${ for a literal \${.`;

/** One string rendered; throws CONFIG_INVALID naming the file and the JSON path. */
function renderString(value: string, v: TemplateValues, shown: string, path: string): string {
  return value.replace(TOKEN, (whole: string, inner: string | undefined) => {
    if (whole === '$${') return '${';
    const p = classify(whole === '${' ? undefined : inner);
    switch (p.kind) {
      case 'simple':
        return v[p.name as 'image'];
      case 'env': {
        const got = v.env[p.name];
        if (got === undefined) {
          throw new FerryError(
            'CONFIG_INVALID',
            `${shown}: ${path}: \${env.${p.name}} has no value in environment ${v.environment}: deploy.json's environment has no ${p.name}. Add it to deploy.json, e.g. "environment": { ${JSON.stringify(p.name)}: "…" } (or under environments.${v.environment}.environment).`,
          );
        }
        return got;
      }
      case 'app': {
        const url = v.url(p.project);
        if (url === undefined) throw new FerryError('CONFIG_INVALID', `${shown}: ${path}: \${app:${p.project}.url} was not resolved by this command; run deploy-app or diff, which resolve other apps' URLs.`);
        return url;
      }
      case 'unterminated':
        throw new FerryError('CONFIG_INVALID', `${shown}: ${path}: a placeholder starts with \${ but has no closing } (got ${showValue(value)}). ${known}`);
      case 'unknown': {
        const guess = suggest(p.text, TEMPLATE_PLACEHOLDERS.filter((x) => !x.includes('<') && !x.includes('NAME')));
        throw new FerryError('CONFIG_INVALID', `${shown}: ${path}: unknown placeholder ${p.text}.${guess ? ` Did you mean ${guess}?` : ''} ${known}`);
      }
    }
  });
}

function renderValue(doc: unknown, v: TemplateValues, shown: string, path: string): unknown {
  if (typeof doc === 'string') return renderString(doc, v, shown, path);
  if (Array.isArray(doc)) return doc.map((x, i) => renderValue(x, v, shown, pathJoin(path, i)));
  if (doc && typeof doc === 'object') return Object.fromEntries(Object.entries(doc).map(([k, x]) => [k, renderValue(x, v, shown, pathJoin(path, k))]));
  return doc;
}

/** Fields of DescribeTaskDefinition's answer that RegisterTaskDefinition does not take (ECS-SEMANTICS §4). */
const DESCRIBE_ONLY = ['taskDefinitionArn', 'revision', 'status', 'requiresAttributes', 'compatibilities', 'registeredAt', 'registeredBy', 'deregisteredAt', 'deleteRequestedAt'];

/** deploy.json fields that set part of the task definition: in template mode the template says it. */
export const TEMPLATE_OWNED: Partial<Record<DeclaredField, string>> = {
  cpu: 'the task-level "cpu"',
  memory: 'the task-level "memory"',
  secrets: 'the container\'s "secrets"',
  environmentMode: 'the container\'s "environment" and "secrets" as written',
  containerHealthCheck: 'the container\'s "healthCheck"',
  logs: 'the container\'s "logConfiguration"',
  stopTimeout: 'the container\'s "stopTimeout"',
  initProcessEnabled: 'the container\'s "linuxParameters.initProcessEnabled"',
  taskRoleArn: 'the task-level "taskRoleArn"',
  executionRoleArn: 'the task-level "executionRoleArn"',
};

/** Coral's violation path (`containerDefinitions.1.member.name`) as a JSON path (`containerDefinitions[0].name`). */
export function violationPath(coral: string): string {
  let out = '';
  const parts = coral.split('.');
  for (let i = 0; i < parts.length; i++) {
    const seg = parts[i];
    if (/^\d+$/.test(seg) && parts[i + 1] === 'member') {
      out += `[${Number(seg) - 1}]`;
      i++;
    } else out = pathJoin(out, seg);
  }
  return out;
}

function describeViolation(v: Violation): string {
  const path = violationPath(v.path);
  if (v.known) {
    const field = path.replace(/^.*[.[]/, '').replace(/[\]"]/g, '');
    if (!path.includes('.') && !path.includes('[') && DESCRIBE_ONLY.includes(field)) {
      return `${path} is part of DescribeTaskDefinition's answer, not of RegisterTaskDefinition's input: remove it (ECS sets it).`;
    }
    const guess = suggest(field, v.known);
    return `unknown field ${path} (not in ECS's RegisterTaskDefinition input).${guess ? ` Did you mean ${JSON.stringify(guess)}?` : ''} Known fields here: ${v.known.join(', ')}.`;
  }
  return `${path} ${v.constraint.replace(/^Member /, '')} (got ${showValue(v.value)}).`;
}

/** Compiles the check of RegisterTaskDefinition's input in the vendored ECS model (unknown members refused). */
export function compileRegisterInputCheck(): RegisterInputCheck {
  return shapeCheck(loadModel('ecs'), 'RegisterTaskDefinitionRequest', { unknownMembers: true });
}

/** The run's check of RegisterTaskDefinition's input: compiled on first use, once per run. */
export const registerInputCheck = sessionPart('RegisterTaskDefinition input check', () => compileRegisterInputCheck());

/**
 * The template rendered for one deploy, the app container's image set to `${image}`'s value, and
 * checked: the shape against ECS's model, the app container present, the image placeholder. Throws
 * one CONFIG_INVALID naming the file, the JSON path and the fix (other problems as details).
 */
export function renderTemplate(t: TaskTemplate, app: Pick<AppDeployConfig, 'containerName'>, v: TemplateValues): Json {
  const { shown } = t;
  const rendered = renderValue(t.raw, v, shown, '') as Json;
  const containers = Array.isArray(rendered.containerDefinitions) ? (rendered.containerDefinitions as Json[]) : [];
  const idx = containers.findIndex((c) => c && typeof c === 'object' && c.name === app.containerName);
  const problems: string[] = [];
  if (Array.isArray(rendered.containerDefinitions)) {
    if (idx < 0) {
      const names = containers.map((c) => JSON.stringify((c as Json | null)?.name ?? '')).join(', ');
      problems.push(
        `containerDefinitions has no container named ${JSON.stringify(app.containerName)} (the app's containerName); its containers: ${names || '(none)'}. Name the app's container ${JSON.stringify(app.containerName)} in the template, or set "containerName" in deploy.json.`,
      );
    } else {
      const written = ((t.raw.containerDefinitions as Json[])[idx] as Json).image;
      if (written !== undefined && written !== '${image}') {
        problems.push(`containerDefinitions[${idx}].image must be "\${image}": ferry sets the app container's image to the content-tagged one (got ${showValue(written)}). Other containers keep their own images.`);
      }
      containers[idx] = { ...containers[idx], image: v.image };
    }
  }
  problems.push(...t.check(rendered).map(describeViolation));
  if (problems.length) {
    const [first, ...rest] = problems;
    throw new FerryError('CONFIG_INVALID', `${shown}: ${first}${rest.length ? ` (${rest.length} more problem${rest.length > 1 ? 's' : ''} below.)` : ''}`, { details: rest.map((p) => `${shown}: ${p}`) });
  }
  return rendered;
}

/**
 * The deploy.json fields that conflict with a template (each a sentence with the fix); [] when none.
 * Refused: fields that set part of the task definition (TEMPLATE_OWNED), a `family` other than the
 * template's, a `containerPort` the app container does not map, a `platform` whose architecture the
 * template's runtimePlatform contradicts, and `environment` names no `${env.NAME}` uses (they would
 * silently do nothing).
 */
export function templateConflicts(app: AppDeployConfig, raw: Json, shownDeploy: string, shownTemplate: string): string[] {
  const out: string[] = [];
  for (const field of app.declared) {
    const owned = TEMPLATE_OWNED[field];
    if (owned) out.push(`${shownDeploy}: "${field}" is set, but the task definition comes from ${shownTemplate} ("taskDefinition"): ${owned} there says it. Remove "${field}" from deploy.json and write it in the template.`);
  }
  if (app.declared.includes('family') && raw.family !== app.family) {
    out.push(`${shownDeploy}: "family" is ${JSON.stringify(app.family)}, but ${shownTemplate} registers family ${showValue(raw.family)}. Remove "family" from deploy.json (the template's family is used).`);
  }
  const containers = Array.isArray(raw.containerDefinitions) ? (raw.containerDefinitions as Json[]) : [];
  const mine = containers.find((c) => c?.name === app.containerName);
  if (mine && app.containerPort !== undefined) {
    const ports = Array.isArray(mine.portMappings) ? (mine.portMappings as Json[]).map((p) => p?.containerPort) : [];
    if (!ports.includes(app.containerPort)) {
      out.push(`${shownDeploy}: "containerPort" is ${app.containerPort}, but container ${JSON.stringify(app.containerName)} in ${shownTemplate} maps ${ports.length ? ports.join(', ') : 'no port'}. Add { "containerPort": ${app.containerPort} } to its portMappings, or fix containerPort.`);
    }
  }
  const arch = (raw.runtimePlatform as Json | undefined)?.cpuArchitecture;
  if (app.declared.includes('platform') && typeof arch === 'string') {
    const want = app.platform === 'linux/arm64' ? 'ARM64' : app.platform === 'linux/amd64' ? 'X86_64' : undefined;
    if (want && want !== arch) out.push(`${shownDeploy}: "platform" is ${app.platform} (${want}), but ${shownTemplate} sets runtimePlatform.cpuArchitecture ${arch}. Make them agree: the image is built for "platform".`);
  }
  const used = templateEnvRefs(raw);
  for (const name of Object.keys(app.environment)) {
    if (!used.has(name)) {
      out.push(`${shownDeploy}: environment.${name} is set, but ${shownTemplate} never uses \${env.${name}}, so it would reach no container. Reference it in the template ({ "name": ${JSON.stringify(name)}, "value": "\${env.${name}}" }) or remove it.`);
    }
  }
  return out;
}

/**
 * Stand-in values for checking a template before the image exists (resolveApp, every target; the
 * plaintext-secrets check of deploy-app). Only the image, the tag and unresolved app URLs are stand-ins.
 */
export function standInValues(app: AppDeployConfig, env: EnvironmentConfig): TemplateValues {
  return {
    image: `${env.registry ?? 'registry.invalid'}/${app.repository}:ferry-template-check`,
    tag: 'ferry-template-check',
    environment: env.name,
    region: env.region,
    cluster: env.cluster,
    service: app.service,
    env: app.environment,
    url: (project) => app.template?.urls?.[project] ?? `http://${project.replace(/[^A-Za-z0-9-]/g, '-')}.invalid`,
  };
}

/**
 * Loads the app's template (deploy.json `taskDefinition`, relative to the project root), refuses
 * conflicting deploy.json fields and checks the template rendered with stand-in values, so a bad
 * template stops every target before anything is built or written. Returns the template and the
 * app as template mode reads it: `family` the template's, `logs` off (the template's log
 * configuration is used as written; ferry creates no log group). The template carries the run's
 * RegisterTaskDefinition check (`registerInputCheck` of `session`; without one, a check of its own).
 */
export function loadTaskTemplate(app: AppDeployConfig, env: EnvironmentConfig, workspaceRoot: string, session?: Pick<RunSession, 'use'>): { app: AppDeployConfig; template: TaskTemplate } {
  const shownDeploy = displayPath(app.file, workspaceRoot);
  const rel = app.taskDefinition!;
  const file = resolve(dirname(app.file), rel);
  const inWs = relative(workspaceRoot, file);
  if (inWs.startsWith('..') || isAbsolute(inWs)) {
    throw new FerryError('CONFIG_INVALID', `${shownDeploy}: taskDefinition must stay inside the workspace (got ${JSON.stringify(rel)}, which resolves to ${file}). Example: "taskDefinition": "ecs-task-def.json"`);
  }
  const shown = displayPath(file, workspaceRoot);
  if (!existsSync(file)) {
    throw new FerryError('CONFIG_MISSING', `${shownDeploy}: taskDefinition names ${shown}, which does not exist. Write it (RegisterTaskDefinition's input as JSON), or generate it from a live service with \`nx g @ferry/nx:import ${app.project} --cluster <cluster> --service <service> --env <env> --template\`.`);
  }
  const raw = readJsonFile(file, shown);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new FerryError('CONFIG_INVALID', `${shown}: a task definition template must hold a JSON object (RegisterTaskDefinition's input), got ${showValue(raw)}. Example: { "family": "api", "containerDefinitions": [{ "name": "api", "image": "\${image}" }] }`);
  }
  const template: TaskTemplate = { file, shown, raw: raw as Json, check: session ? session.use(registerInputCheck) : compileRegisterInputCheck() };
  const conflicts = templateConflicts(app, template.raw, shownDeploy, shown);
  if (conflicts.length) {
    const [first, ...rest] = conflicts;
    throw new FerryError('CONFIG_INVALID', `${first}${rest.length ? ` (${rest.length} more problem${rest.length > 1 ? 's' : ''} below.)` : ''}`, { details: rest });
  }
  // The family names every revision of the app: a value that changes per deploy would start a new family each time.
  const perDeploy = typeof template.raw.family === 'string' ? placeholdersOf(template.raw.family).filter((p) => (p.kind === 'simple' && (p.name === 'image' || p.name === 'tag')) || p.kind === 'app') : [];
  if (perDeploy.length) {
    throw new FerryError('CONFIG_INVALID', `${shown}: family must not change per deploy (got ${showValue(template.raw.family)}): \${image}, \${tag} and app URLs are not allowed there. Example: "family": "${app.service}-\${environment}"`);
  }
  const rendered = renderTemplate(template, app, standInValues(app, env));
  return { app: { ...app, family: rendered.family as string, logs: false, template }, template };
}

/** The values of one deploy: the image and tag, the environment, and app URLs resolved by withResolvedAppUrls. */
export function templateValues(app: AppDeployConfig, env: EnvironmentConfig, imageRef: string, contentTag: string): TemplateValues {
  return {
    image: imageRef,
    tag: contentTag,
    environment: env.name,
    region: env.region,
    cluster: env.cluster,
    service: app.service,
    env: app.environment,
    url: (project) => app.template?.urls?.[project],
  };
}
