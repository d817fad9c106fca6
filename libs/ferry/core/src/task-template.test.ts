// Table tests for template mode: placeholders, the checks against ECS's model (the vendored botocore
// model, libs/ferry/core/models/ecs.json, RegisterTaskDefinitionRequest), and the deploy.json fields
// a template refuses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyAppDefaults } from './config.ts';
import type { EnvironmentConfig } from './config-types.ts';
import { errorOf } from './testing/errors.ts';
import { RunSession } from './session.ts';
import { loadTaskTemplate, placeholdersOf, registerInputCheck, renderTemplate, templateAppRefs, templateValues, violationPath } from './task-template.ts';

const root = mkdtempSync(join(tmpdir(), 'ferry-template-'));
writeFileSync(join(root, 'nx.json'), '{}\n');
mkdirSync(join(root, 'apps/api'), { recursive: true });
const deployFile = join(root, 'apps/api/deploy.json');
test.after(() => rmSync(root, { recursive: true, force: true }));

const env: EnvironmentConfig = { name: 'prod', kind: 'sandbox', region: 'eu-west-1', cluster: 'main', registry: '127.0.0.1:5000' };

/** A template of an app container and a sidecar, with volumes, ulimits and FireLens: what ECS accepts passes. */
const TEMPLATE = {
  family: 'api-${environment}',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '512',
  memory: '1024',
  ephemeralStorage: { sizeInGiB: 30 },
  volumes: [{ name: 'scratch' }],
  containerDefinitions: [
    {
      name: 'api',
      image: '${image}',
      essential: true,
      portMappings: [{ containerPort: 8080 }],
      environment: [
        { name: 'LOG_LEVEL', value: '${env.LOG_LEVEL}' },
        { name: 'VERSION', value: '${tag}' },
        { name: 'WEB_URL', value: '${app:web.url}/' },
        { name: 'LITERAL', value: 'cost $${HOME}' },
      ],
      ulimits: [{ name: 'nofile', softLimit: 4096, hardLimit: 8192 }],
      mountPoints: [{ sourceVolume: 'scratch', containerPath: '/scratch' }],
      logConfiguration: { logDriver: 'awsfirelens', options: { Name: 'cloudwatch' } },
    },
    { name: 'log-router', image: 'fluent/fluent-bit:3', essential: true, firelensConfiguration: { type: 'fluentbit' } },
  ],
};

/** Writes deploy.json and the template, then loads as resolveApp does. */
function load(deploy: Record<string, unknown>, template: unknown = TEMPLATE, name = 'ecs-task-def.json', session?: RunSession) {
  writeFileSync(deployFile, JSON.stringify(deploy));
  writeFileSync(join(root, 'apps/api', name), typeof template === 'string' ? template : JSON.stringify(template));
  const app = applyAppDefaults({ taskDefinition: name, ...deploy }, deployFile, 'api', 'apps/api/deploy.json');
  return loadTaskTemplate(app, env, root, session);
}

const T = 'apps/api/ecs-task-def.json: ';
const D = 'apps/api/deploy.json: ';

test('placeholdersOf: every kind, escapes skipped', () => {
  const table: [string, string[]][] = [
    ['${image}', ['simple:image']],
    ['a ${env.LOG_LEVEL} b ${tag}', ['env:LOG_LEVEL', 'simple:tag']],
    ['${app:web.url}/x', ['app:web']],
    ['$${image}', []],
    ['${nope}', ['unknown']],
    ['${image', ['unterminated']],
    ['no placeholder', []],
  ];
  for (const [value, want] of table) {
    const got = placeholdersOf(value).map((p) => (p.kind === 'simple' || p.kind === 'env' ? `${p.kind}:${p.name}` : p.kind === 'app' ? `app:${p.project}` : p.kind));
    assert.equal(got, want, value);
  }
});

test('the RegisterTaskDefinition check is compiled once per run and carried by the templates loaded in it', () => {
  const deploy = { repository: 'team/api', containerName: 'api', containerPort: 8080, environment: { LOG_LEVEL: 'info' }, environments: {} };
  const run = new RunSession({ workspaceRoot: root });
  const first = load(deploy, TEMPLATE, 'ecs-task-def.json', run).template;
  const again = load(deploy, TEMPLATE, 'ecs-task-def.json', run).template;
  assert.is(first.check, run.use(registerInputCheck));
  assert.is(again.check, first.check, 'one compile for the whole run');
  const other = load(deploy, TEMPLATE, 'ecs-task-def.json', new RunSession({ workspaceRoot: root })).template;
  assert.is.not(other.check, first.check, 'another run compiles its own');
  // The shared check still refuses what ECS refuses (model: ContainerDefinition has no member "imgae").
  const bad = { ...TEMPLATE, containerDefinitions: [{ ...TEMPLATE.containerDefinitions[0], imgae: 'x' }] };
  assert.match(errorOf(() => load(deploy, bad, 'ecs-task-def.json', run)).message, /unknown field containerDefinitions\[0\]\.imgae/);
});

test('violationPath: Coral paths as JSON paths', () => {
  const table: [string, string][] = [
    ['family', 'family'],
    ['containerDefinitions.1.member.name', 'containerDefinitions[0].name'],
    ['containerDefinitions.2.member.portMappings.1.member.containerPort', 'containerDefinitions[1].portMappings[0].containerPort'],
  ];
  for (const [coral, want] of table) assert.is(violationPath(coral), want);
});

test('a valid template: rendered with this deploy\'s values, sidecar and extras passed through, family from the template', () => {
  const { app, template } = load({ repository: 'team/api', containerName: 'api', containerPort: 8080, environment: { LOG_LEVEL: 'info' }, environments: {} });
  assert.is(app.family, 'api-prod');
  assert.is(app.logs, false, 'logs come from the template');
  assert.equal(templateAppRefs(template.raw), ['web']);
  const withUrls = { ...app, template: { ...template, urls: { web: 'http://web.example' } } };
  const out = renderTemplate(withUrls.template, withUrls, templateValues(withUrls, env, '127.0.0.1:5000/team/api:ft-1', 'ft-1')) as { containerDefinitions: { image: string; environment?: { name: string; value: string }[] }[]; ephemeralStorage: unknown };
  assert.is(out.containerDefinitions[0].image, '127.0.0.1:5000/team/api:ft-1');
  assert.equal(out.containerDefinitions[0].environment, [
    { name: 'LOG_LEVEL', value: 'info' },
    { name: 'VERSION', value: 'ft-1' },
    { name: 'WEB_URL', value: 'http://web.example/' },
    { name: 'LITERAL', value: 'cost ${HOME}' },
  ]);
  assert.is(out.containerDefinitions[1].image, 'fluent/fluent-bit:3', 'the sidecar keeps its image');
  assert.equal(out.ephemeralStorage, { sizeInGiB: 30 });
});

const withContainer = (patch: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  ...TEMPLATE,
  ...extra,
  containerDefinitions: [{ ...TEMPLATE.containerDefinitions[0], ...patch }, TEMPLATE.containerDefinitions[1]],
});
const base = { containerName: 'api', environment: { LOG_LEVEL: 'info' } };

const invalid: [string, Record<string, unknown>, unknown, string][] = [
  ['an unknown placeholder', base, withContainer({ command: ['${imag}'] }), `${T}containerDefinitions[0].command[0]: unknown placeholder \${imag}. Did you mean \${image}?`],
  ['an unterminated placeholder', base, withContainer({ command: ['${image'] }), `${T}containerDefinitions[0].command[0]: a placeholder starts with \${ but has no closing }`],
  ['${env.X} with no value', base, withContainer({ environment: [{ name: 'X', value: '${env.X}' }, { name: 'L', value: '${env.LOG_LEVEL}' }] }), `${T}containerDefinitions[0].environment[0].value: \${env.X} has no value in environment prod: deploy.json's environment has no X.`],
  ['a typo in a field name', base, { ...TEMPLATE, memroy: '1024' }, `${T}unknown field memroy (not in ECS's RegisterTaskDefinition input). Did you mean "memory"?`],
  ['a typo in a container field', base, withContainer({ portMapings: [] }), `${T}unknown field containerDefinitions[0].portMapings (not in ECS's RegisterTaskDefinition input). Did you mean "portMappings"?`],
  ['a wrong type', base, withContainer({ essential: 'yes' }), `${T}containerDefinitions[0].essential must be a boolean (got "yes").`],
  ['an enum value ECS does not know', base, { ...TEMPLATE, networkMode: 'vpc' }, `${T}networkMode must satisfy enum value set: [bridge, host, awsvpc, none] (got "vpc").`],
  ['the required family missing', base, { ...TEMPLATE, family: undefined }, `${T}family must not be null`],
  ['DescribeTaskDefinition output pasted', base, { ...TEMPLATE, revision: 3 }, `${T}revision is part of DescribeTaskDefinition's answer, not of RegisterTaskDefinition's input: remove it (ECS sets it).`],
  ['no app container', { ...base, containerName: 'web' }, TEMPLATE, `${T}containerDefinitions has no container named "web" (the app's containerName); its containers: "api", "log-router".`],
  ['a literal image on the app container', base, withContainer({ image: 'nginx:1' }), `${T}containerDefinitions[0].image must be "\${image}": ferry sets the app container's image`],
  ['cpu in deploy.json', { ...base, cpu: '256' }, TEMPLATE, `${D}"cpu" is set, but the task definition comes from apps/api/ecs-task-def.json ("taskDefinition"): the task-level "cpu" there says it. Remove "cpu" from deploy.json and write it in the template.`],
  ['logs in deploy.json', { ...base, logs: { retentionDays: 7 } }, TEMPLATE, `${D}"logs" is set, but the task definition comes from`],
  ['secrets in deploy.json', { ...base, secrets: { DB: 'arn:aws:ssm:eu-west-1:123456789012:parameter/db' } }, TEMPLATE, `${D}"secrets" is set`],
  ['another family', { ...base, family: 'other' }, TEMPLATE, `${D}"family" is "other", but apps/api/ecs-task-def.json registers family "api-\${environment}".`],
  ['a containerPort the container does not map', { ...base, containerPort: 3000 }, TEMPLATE, `${D}"containerPort" is 3000, but container "api" in apps/api/ecs-task-def.json maps 8080.`],
  ['a platform the runtime platform contradicts', { ...base, platform: 'linux/arm64' }, { ...TEMPLATE, runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' } }, `${D}"platform" is linux/arm64 (ARM64), but apps/api/ecs-task-def.json sets runtimePlatform.cpuArchitecture X86_64.`],
  ['an environment value the template never uses', { ...base, environment: { LOG_LEVEL: 'info', UNUSED: '1' } }, TEMPLATE, `${D}environment.UNUSED is set, but apps/api/ecs-task-def.json never uses \${env.UNUSED}`],
  ['a family that changes per deploy', base, { ...TEMPLATE, family: 'api-${tag}' }, `${T}family must not change per deploy (got "api-\${tag}")`],
  ['not an object', base, '[1]', `${T}a task definition template must hold a JSON object`],
  ['invalid JSON', base, '{ "family": "api", }', `${T}invalid JSON`],
];

for (const [what, deploy, template, message] of invalid) {
  test(`refused: ${what}`, () => {
    const e = errorOf(() => load(deploy, template));
    assert.is(e.code, 'CONFIG_INVALID', e.message);
    assert.ok(e.message.startsWith(message), `got:  ${e.message}\nwant: ${message}`);
  });
}

test('several problems: the first is the message, the others are details', () => {
  const e = errorOf(() => load(base, { ...TEMPLATE, memroy: '1', cpuu: '1' }));
  assert.match(e.message, /\(1 more problem below\.\)$/);
  assert.is(e.details?.length, 1);
});

test('a missing template names the generator', () => {
  writeFileSync(deployFile, '{}');
  const app = applyAppDefaults({ taskDefinition: 'missing.json' }, deployFile, 'api', 'apps/api/deploy.json');
  const e = errorOf(() => loadTaskTemplate(app, env, root));
  assert.is(e.code, 'CONFIG_MISSING');
  assert.match(e.message, /nx g @ferry\/nx:import api/);
});

test('a template outside the workspace is refused', () => {
  writeFileSync(deployFile, '{}');
  const app = applyAppDefaults({ taskDefinition: '../../../x.json' }, deployFile, 'api', 'apps/api/deploy.json');
  assert.match(errorOf(() => loadTaskTemplate(app, env, root)).message, /taskDefinition must stay inside the workspace/);
});

test.run();
