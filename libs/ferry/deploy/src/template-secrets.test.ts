// Template mode's plaintext-secrets check (secrets.ts templatePlaintextSecrets, checkTemplateSecrets):
// the literal values a task-definition template writes are held to the rule deploy.json's
// environment is (checkPlaintextSecrets). ECS resolves a container's `secrets` ({ name, valueFrom }:
// a Secrets Manager secret or SSM parameter ARN) at task start; `environment` values are returned
// as written by DescribeTaskDefinition (model ecs.json: ContainerDefinition.environment / .secrets).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileRegisterInputCheck, type TaskTemplate } from '@ferry/core';
import { errorOf as refusal } from '../../core/src/testing/errors.ts';
import { checkTemplateSecrets, plaintextSecrets, templatePlaintextSecrets } from './secrets.ts';
import { appConfig, awsEnv, sandboxEnv } from './fixtures.test-support.ts';

type Env = { name: string; value: string }[];
const tmpl = (app: Env, sidecar?: Env) => ({
  family: 'api',
  containerDefinitions: [
    { name: 'api', image: '${image}', environment: app },
    ...(sidecar ? [{ name: 'agent', image: 'datadog/agent:7', environment: sidecar }] : []),
  ],
});

// [label, the template's environments, deploy.json's environment, the paths flagged]
const cases: Array<[string, ReturnType<typeof tmpl>, Record<string, string>, string[]]> = [
  ['nothing secret-looking', tmpl([{ name: 'LOG_LEVEL', value: 'info' }, { name: 'PORT', value: '8080' }]), {}, []],
  ['a literal password by its name', tmpl([{ name: 'LOG_LEVEL', value: 'info' }, { name: 'DB_PASSWORD', value: 'hunter2' }]), {}, ['containerDefinitions[0].environment[1]']],
  ['an access key by its value, whatever the name', tmpl([{ name: 'UPSTREAM', value: 'AKIAABCDEFGHIJKLMNOP' }]), {}, ['containerDefinitions[0].environment[0]']],
  ['a private key by its value', tmpl([{ name: 'PEM', value: '-----BEGIN RSA PRIVATE KEY-----\nabc' }]), {}, ['containerDefinitions[0].environment[0]']],
  ['a sidecar too', tmpl([{ name: 'LOG_LEVEL', value: 'info' }], [{ name: 'DD_API_KEY', value: 'abc123' }]), {}, ['containerDefinitions[1].environment[0]']],
  ['public-key-ish names are not secrets', tmpl([{ name: 'JWT_PUBLIC_KEY', value: 'ssh-rsa AAA' }, { name: 'KMS_KEY_ID', value: 'alias/x' }]), {}, []],
  // A secret-looking name under a harmless deploy.json name: only the rendered template shows it.
  ['a secret-looking name filled from a harmless deploy.json variable', tmpl([{ name: 'DB_PASSWORD', value: '${env.DBPASS}' }]), { DBPASS: 'hunter2' }, ['containerDefinitions[0].environment[0]']],
  // The value rendered: an access key that arrives through ${env.NAME} under a harmless name.
  ['a secret-looking value filled in by a placeholder', tmpl([{ name: 'UPSTREAM', value: '${env.UP}' }]), { UP: 'AKIAABCDEFGHIJKLMNOP' }, []],
  ['exactly ${env.NAME} of a deploy.json variable its own check names is left to that check', tmpl([{ name: 'DB_PASSWORD', value: '${env.DB_PASSWORD}' }]), { DB_PASSWORD: 'hunter2' }, []],
];

const covered = (env: Record<string, string>) => new Set(plaintextSecrets(env));
const render = (raw: ReturnType<typeof tmpl>, env: Record<string, string>) =>
  JSON.parse(JSON.stringify(raw).replace(/\$\{env\.([A-Za-z_]+)\}/g, (_, n: string) => env[n]).replace('${image}', 'r/api:t'));

for (const [label, raw, env, want] of cases) {
  test(`templatePlaintextSecrets: ${label}`, () => {
    assert.equal(templatePlaintextSecrets(render(raw, env), raw, covered(env)).map((s) => s.path), want);
  });
}

// The ${env.UP} case above: deploy.json's UP is named by checkPlaintextSecrets (its value), so the
// template check leaves it; without that, the rendered value alone flags it.
test('templatePlaintextSecrets reads the rendered value, not the placeholder', () => {
  const raw = tmpl([{ name: 'UPSTREAM', value: '${env.UP}' }]);
  assert.equal(templatePlaintextSecrets(render(raw, { UP: 'AKIAABCDEFGHIJKLMNOP' }), raw).map((s) => s.name), ['UPSTREAM']);
  assert.equal(templatePlaintextSecrets(raw, raw), []);
});

// One compile of ECS's RegisterTaskDefinition check for every template of this file.
const check = compileRegisterInputCheck();
const template = (raw: unknown): TaskTemplate => ({ file: '/w/apps/api/ecs-task-def.json', shown: 'apps/api/ecs-task-def.json', raw: raw as Record<string, unknown>, check });
const templateApp = (raw: unknown, environment: Record<string, string> = {}) => appConfig({ template: template(raw), environment, declared: ['environment'], logs: false });

test('checkTemplateSecrets: refuses naming the file, the JSON path and the fix, never the value', () => {
  const raw = tmpl([{ name: 'LOG_LEVEL', value: 'info' }, { name: 'DB_PASSWORD', value: 'hunter2' }], [{ name: 'DD_API_KEY', value: 'dd-key-9' }]);
  const err = refusal(() => checkTemplateSecrets(templateApp(raw), awsEnv, false));
  assert.is(err.code, 'CONFIG_INVALID');
  assert.match(err.message, /^apps\/api\/ecs-task-def\.json: containerDefinitions\[0\]\.environment\[1\] \(DB_PASSWORD, container "api"\) looks like a secret in plaintext/);
  assert.match(err.message, /to the container's "secrets" with a valueFrom/);
  assert.match(err.message, /"valueFrom": "arn:aws:secretsmanager:eu-west-1:<account>:secret:api\/db_password"/);
  assert.match(err.message, /arn:aws:ssm:eu-west-1:<account>:parameter\/api\/db_password/);
  assert.match(err.message, /--allow-plaintext-secrets/);
  assert.match(err.message, /\(1 more below\.\)/);
  assert.equal(err.details, ['apps/api/ecs-task-def.json: containerDefinitions[1].environment[0] (DD_API_KEY, container "agent") looks like a secret in plaintext']);
  assert.not.match([err.message, ...err.details].join('\n'), /hunter2|dd-key-9/);
  // The environment's account, when known, goes into the example ARN.
  assert.match(refusal(() => checkTemplateSecrets(templateApp(raw), sandboxEnv, false)).message, /arn:aws:ssm:us-east-1:000000000000:parameter\/api\/db_password/);
});

test('checkTemplateSecrets: warns instead with --allow-plaintext-secrets; nothing to say otherwise', () => {
  const raw = tmpl([{ name: 'DB_PASSWORD', value: 'hunter2' }]);
  const warn = checkTemplateSecrets(templateApp(raw), awsEnv, true);
  assert.match(warn!, /^api: containerDefinitions\[0\]\.environment\[0\] \(DB_PASSWORD\) in apps\/api\/ecs-task-def\.json looks like secret\(s\) in plaintext; deploying anyway \(--allow-plaintext-secrets\)/);
  assert.not.match(warn!, /hunter2/);
  assert.is(checkTemplateSecrets(templateApp(tmpl([{ name: 'LOG_LEVEL', value: '${env.LOG_LEVEL}' }]), { LOG_LEVEL: 'info' }), awsEnv, false), undefined);
  // Not template mode: deploy.json's own check (checkPlaintextSecrets) is the only one.
  assert.is(checkTemplateSecrets(appConfig({ environment: { DB_PASSWORD: 'x' } }), awsEnv, false), undefined);
});

test('checkTemplateSecrets: a name filled from deploy.json is judged as rendered', () => {
  const raw = tmpl([{ name: 'DB_PASSWORD', value: '${env.DBPASS}' }]);
  const err = refusal(() => checkTemplateSecrets(templateApp(raw, { DBPASS: 'hunter2' }), awsEnv, false));
  assert.match(err.message, /containerDefinitions\[0\]\.environment\[0\] \(DB_PASSWORD, container "api"\)/);
  assert.not.match(err.message, /hunter2/);
});

test.run();
