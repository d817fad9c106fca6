// Table tests for deploy.json / ferry.json validation, defaults and naming rules.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig, loadWorkspaceConfig, mergeOverride } from './config.ts';
import { errorOf } from './testing/errors.ts';
import { assertValidName, isValidName } from './names.ts';

const root = mkdtempSync(join(tmpdir(), 'ferry-config-'));
writeFileSync(join(root, 'nx.json'), '{}\n');
mkdirSync(join(root, 'apps/api'), { recursive: true });
const file = join(root, 'apps/api/deploy.json');
test.after(() => rmSync(root, { recursive: true, force: true }));

function loadRaw(text: string, project = 'api') {
  writeFileSync(file, text);
  return loadAppConfig(file, project);
}
const load = (value: unknown, project = 'api') => loadRaw(JSON.stringify(value, null, 2), project);

const P = 'apps/api/deploy.json: ';
const ECS_RULE = 'must be 1-255 letters, digits, hyphens or underscores (the ECS naming rule)';
const ECR_RULE = 'must be a valid ECR repository name: 2-256 lowercase letters, digits and . _ - separators, optionally with / namespaces';

const invalid: [string, unknown, string][] = [
  ['a word for a number', { deployment: { minimumHealthyPercent: 'fifty' } }, `${P}deployment.minimumHealthyPercent must be a number from 0 to 100 (got "fifty"). Example: "minimumHealthyPercent": 100`],
  ['a number out of range', { deployment: { minimumHealthyPercent: 150 } }, `${P}deployment.minimumHealthyPercent must be a number from 0 to 100 (got 150). Example: "minimumHealthyPercent": 100`],
  ['a number where a string is expected', { cpu: 256 }, `${P}cpu must be a string of CPU units such as "256" (1024 = 1 vCPU) (got 256). Example: "cpu": "256"`],
  ['an unquoted environment value', { environment: { PORT: 3000 } }, `${P}environment.PORT must be a string (numbers must be quoted) (got 3000). Example: "PORT": "3000"`],
  ['a smoke path without /', { smoke: { checks: [{ name: 'a', path: 'health' }] } }, `${P}smoke.checks[0].path must be a URL path starting with / and without spaces (got "health"). Example: "path": "/health"`],
  ['a missing required field', { containerHealthCheck: { interval: 10 } }, `${P}containerHealthCheck is missing the required field "command". Example: "command": ["CMD-SHELL","wget -qO- http://127.0.0.1:3000/health || exit 1"]`],
  ['a bad platform', { platform: 'windows/amd64' }, `${P}platform must be a Docker platform such as "linux/amd64" or "linux/arm64" (got "windows/amd64"). Example: "platform": "linux/amd64"`],
  ['an array instead of an object', [], `${P}the file must hold a JSON object (got an array). Example: { "service": "api" }`],
  ['an absolute dockerfile path', { dockerfile: '/etc/passwd' }, `${P}dockerfile must be a relative path of letters, digits and . _ - / @ + (not starting with /, no spaces, no shell characters) (got "/etc/passwd"). Example: "dockerfile": "Dockerfile"`],
  ['a health path without a port', { healthCheckPath: '/health' }, `${P}healthCheckPath is set but containerPort is not; the health check needs the port the container listens on. Example: "containerPort": 3000`],
  // Hostile names never reach a process.
  ['repository with ;', { repository: 'api;rm -rf /' }, `${P}repository ${ECR_RULE} (got "api;rm -rf /"). Example: "repository": "api"`],
  ['repository with ../', { repository: '../etc' }, `${P}repository ${ECR_RULE} (got "../etc"). Example: "repository": "api"`],
  ['repository with capitals', { repository: 'Api' }, `${P}repository ${ECR_RULE} (got "Api"). Example: "repository": "api"`],
  ['service with $(...)', { service: '$(whoami)' }, `${P}service ${ECS_RULE} (got "$(whoami)"). Example: "service": "api"`],
  ['containerName with backticks', { containerName: '`id`' }, `${P}containerName ${ECS_RULE} (got "\`id\`"). Example: "containerName": "api"`],
  ['family with a newline', { family: 'a\nb' }, `${P}family ${ECS_RULE} (got "a\\nb"). Example: "family": "api"`],
  ['dockerfile with a shell character', { dockerfile: 'Dockerfile;ls' }, `${P}dockerfile must be a relative path of letters, digits and . _ - / @ + (not starting with /, no spaces, no shell characters) (got "Dockerfile;ls"). Example: "dockerfile": "Dockerfile"`],
  ['a build arg name with $', { buildArgs: { 'A$B': 'x' } }, `${P}buildArgs has the key "A$B", which must be a build arg name: letters, digits and _ not starting with a digit. Example: "NODE_VERSION"`],
  ['a build arg value with a newline', { buildArgs: { A: 'x\ny' } }, `${P}buildArgs.A must be a single-line string (got "x\\ny"). Example: "A": "20"`],
  ['a hostile name in an environment override', { environments: { prod: { service: 'x;y' } } }, `${P}environments.prod.service ${ECS_RULE} (got "x;y"). Example: "service": "api"`],
  ['a secret ARN with spaces', { secrets: { DB: 'arn x' } }, `${P}secrets.DB must be an SSM parameter name or secret ARN (no spaces or shell characters) (got "arn x"). Example: "DB": "arn:aws:ssm:eu-west-1:123456789012:parameter/db-password"`],
];

for (const [name, value, message] of invalid) {
  test(`deploy.json: ${name} is refused with one clear paragraph`, () => {
    const e = errorOf(() => load(value));
    assert.is(e.code, 'CONFIG_INVALID');
    if (message) assert.is(e.message, message);
    else assert.match(e.message, /^apps\/api\/deploy\.json: \S+/);
    assert.not.match(e.message, /\n/);
    assert.not.match(e.message, /at .*\.ts:\d+/);
  });
}

test('deploy.json: an unknown field suggests the close one', () => {
  const e = errorOf(() => load({ desiredCont: 2 }));
  assert.match(e.message, /^apps\/api\/deploy\.json: unknown field "desiredCont"\. Did you mean "desiredCount"\? Known fields: repository, service, /);
  const nested = errorOf(() => load({ deployment: { minHealthyPercent: 50 } }));
  assert.match(nested.message, /^apps\/api\/deploy\.json: unknown field "deployment\.minHealthyPercent"\. Did you mean "minimumHealthyPercent"\? Known fields of deployment: minimumHealthyPercent, maximumPercent, circuitBreaker, timeoutSeconds\.$/);
  const env = errorOf(() => load({ environments: { prod: { desiredCont: 1 } } }));
  assert.match(env.message, /unknown field "environments\.prod\.desiredCont"\. Did you mean "desiredCount"\?/);
  const far = errorOf(() => load({ zzzzzzzz: 1 }));
  assert.not.match(far.message, /Did you mean/);
});

test('deploy.json: several problems give the first in the message and the rest in details', () => {
  const e = errorOf(() => load({ cpu: 1, memory: 2 }));
  assert.match(e.message, /^apps\/api\/deploy\.json: cpu must be .* \(1 more problem below\.\)$/);
  assert.equal(e.details, ['apps/api/deploy.json: memory must be a string of MiB such as "512" (got 2). Example: "memory": "2"']);
});

test('deploy.json: invalid JSON names the line and column', () => {
  const e = errorOf(() => loadRaw('{\n  "service": "api",\n  "desiredCount": 2\n  "cpu": "256"\n}\n'));
  assert.is(e.code, 'CONFIG_INVALID');
  assert.match(e.message, /^apps\/api\/deploy\.json: invalid JSON at line 4, column 3: /);
  const trailing = errorOf(() => loadRaw('{\n  "service": "api",\n}\n'));
  assert.match(trailing.message, /^apps\/api\/deploy\.json: invalid JSON at line 3, column 1: /);
});

test('deploy.json: an empty object gets every default', () => {
  const app = load({});
  assert.equal(app, {
    file,
    project: 'api',
    repository: 'api',
    service: 'api',
    family: 'api',
    containerName: 'api',
    dockerfile: 'Dockerfile',
    context: '.',
    buildArgs: {},
    platform: 'linux/amd64',
    desiredCount: 1,
    cpu: '256',
    memory: '512',
    environment: {},
    secrets: {},
    healthCheckStatus: 200,
    logs: {},
    smoke: { checks: [] },
    deployment: { minimumHealthyPercent: 100, maximumPercent: 200, circuitBreaker: { enable: true, rollback: true }, timeoutSeconds: 600, declared: [] },
    lifecycle: { keepTaggedImages: 30, untaggedExpireDays: 1 },
    keepRevisions: 10,
    rollbackOn: ['health', 'smoke'],
    environmentMode: 'merge',
    declared: [],
    environments: {},
  });
});

test('deploy.json: family defaults to the service, repository to the lower-cased project name', () => {
  const app = load({ service: 'api-svc' }, 'Api');
  assert.is(app.family, 'api-svc');
  assert.is(app.repository, 'api');
  assert.is(app.containerName, 'Api');
});

test('deploy.json: a project name that is no valid service name asks for an explicit one', () => {
  const e = errorOf(() => load({}, 'my app'));
  assert.is(e.message, `${P}service (defaulted from the project name "my app"; set "service" in deploy.json) ${ECS_RULE} (got "my app"). Example: "api"`);
  const ok = load({ service: 'my-app', repository: 'my-app', containerName: 'app' }, 'my app');
  assert.is(ok.service, 'my-app');
});

test('deploy.json: $schema is allowed', () => {
  assert.is(load({ $schema: '../../libs/ferry/core/schema/deploy.schema.json' }).service, 'api');
});

test('mergeOverride: scalars replace, maps and settings merge one level', () => {
  const merged = mergeOverride(
    { desiredCount: 1, environment: { A: '1', B: '2' }, deployment: { minimumHealthyPercent: 50, timeoutSeconds: 60 }, smoke: { checks: [{ name: 'a', path: '/' }] } },
    { desiredCount: 3, environment: { B: 'x' }, deployment: { timeoutSeconds: 900 }, smoke: { checks: [] } },
  );
  assert.equal(merged, { desiredCount: 3, environment: { A: '1', B: 'x' }, deployment: { minimumHealthyPercent: 50, timeoutSeconds: 900 }, smoke: { checks: [] } });
});

function writeFerry(value: unknown) {
  writeFileSync(join(root, 'ferry.json'), JSON.stringify(value));
}

test('ferry.json: missing file gives the built-in local sandbox environment', () => {
  rmSync(join(root, 'ferry.json'), { force: true });
  const ws = loadWorkspaceConfig(root);
  assert.is(ws.defaultEnvironment, 'local');
  assert.equal(Object.keys(ws.environments), ['local']);
  assert.equal(ws.environments.local, {
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
  });
});

test('ferry.json: sandbox environments get endpoint/registry defaults; names are filled in', () => {
  writeFerry({ environments: { local: { kind: 'sandbox', region: 'us-east-1', cluster: 'c1' }, prod: { kind: 'aws', region: 'eu-west-1', cluster: 'prod' } } });
  const ws = loadWorkspaceConfig(root);
  assert.is(ws.defaultEnvironment, 'local');
  assert.is(ws.environments.local.endpoint, 'http://127.0.0.1:4566');
  assert.is(ws.environments.local.registry, '127.0.0.1:5000');
  assert.is(ws.environments.prod.name, 'prod');
  assert.is(ws.environments.prod.endpoint, undefined);
  assert.equal(ws.environments.prod.buildArgs, {});
});

const invalidFerry: [string, unknown, string][] = [
  ['a bad kind', { environments: { local: { kind: 'docker', region: 'us-east-1', cluster: 'c' } } }, 'ferry.json: environments.local.kind must be "sandbox" or "aws" (got "docker"). Example: "kind": "aws"'],
  ['an unknown default', { defaultEnvironment: 'stagin', environments: { staging: { kind: 'aws', region: 'eu-west-1', cluster: 'c' } } }, 'ferry.json: defaultEnvironment must be the name of one of the environments (got "stagin"). Did you mean "staging"? Known environments: staging. Example: "defaultEnvironment": "staging"'],
  ['a bad region', { environments: { prod: { kind: 'aws', region: 'Europe', cluster: 'c' } } }, 'ferry.json: environments.prod.region must be an AWS region such as "eu-west-1" (got "Europe"). Example: "region": "eu-west-1"'],
  ['a hostile cluster', { environments: { prod: { kind: 'aws', region: 'eu-west-1', cluster: 'c;reboot' } } }, 'ferry.json: environments.prod.cluster must be an ECS cluster name: 1-255 letters, digits, hyphens or underscores (got "c;reboot"). Example: "cluster": "prod"'],
  ['a bad environment name', { environments: { 'bad env': { kind: 'aws', region: 'eu-west-1', cluster: 'c' } } }, 'ferry.json: environments has the key "bad env", which must be an environment name: letters, digits, _ and -. Example: "staging"'],
  ['a missing cluster', { environments: { prod: { kind: 'aws', region: 'eu-west-1' } } }, 'ferry.json: environments.prod is missing the required field "cluster". Example: "cluster": "prod"'],
  ['an endpoint with a path', { environments: { local: { kind: 'sandbox', region: 'us-east-1', cluster: 'c', endpoint: 'http://127.0.0.1:4566/$(id)' } } }, 'ferry.json: environments.local.endpoint must be an http(s) URL without path such as "http://127.0.0.1:4566" (got "http://127.0.0.1:4566/$(id)"). Example: "endpoint": "http://127.0.0.1:4566"'],
];
for (const [name, value, message] of invalidFerry) {
  test(`ferry.json: ${name} is refused`, () => {
    writeFerry(value);
    const e = errorOf(() => loadWorkspaceConfig(root));
    assert.is(e.code, 'CONFIG_INVALID');
    assert.is(e.message, message);
  });
}

test('migrate: a command line, arguments or an object; false or absent: none; operators refused', () => {
  assert.equal(load({ migrate: 'node dist/migrate.js --to "latest version"' }).migrate, { command: ['node', 'dist/migrate.js', '--to', 'latest version'], timeoutSeconds: 900, environment: {} });
  assert.equal(load({ migrate: ['node', 'm.js'] }).migrate?.command, ['node', 'm.js']);
  assert.equal(load({ migrate: { command: 'node m.js', timeoutSeconds: 60, environment: { DRY: '0' } } }).migrate, { command: ['node', 'm.js'], timeoutSeconds: 60, environment: { DRY: '0' } });
  assert.is(load({ migrate: false }).migrate, undefined);
  assert.is(load({}).migrate, undefined);
  const e = errorOf(() => load({ migrate: 'npm run a && npm run b' }));
  assert.is(e.code, 'CONFIG_INVALID');
  assert.match(e.message, /^apps\/api\/deploy.json: migrate.command: the command line uses the shell operator "&&"/);
  assert.is(errorOf(() => load({ migrate: { timeoutSeconds: 5 } })).code, 'CONFIG_INVALID');
});

test('naming rules: tags and names used by the pipeline', () => {
  assert.ok(isValidName('tag', 'ft-0123456789abcdef0123'));
  for (const bad of ['', '-x', '.x', 'a b', 'a;b', 'a\nb', '$(x)', 'x'.repeat(129)]) assert.not.ok(isValidName('tag', bad), bad);
  assert.ok(isValidName('repository', 'team/api.v2'));
  for (const bad of ['../x', 'a//b', 'A', 'a;b', 'a', '/a']) assert.not.ok(isValidName('repository', bad), bad);
  const e = errorOf(() => assertValidName('tag', 'x`id`', 'the --tag flag'));
  assert.is(e.message, 'the --tag flag must be an image tag: up to 128 letters, digits, _ . - not starting with . or - (got "x`id`"). Example: "ft-0123456789abcdef0123"');
});

test.run();
