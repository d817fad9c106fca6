import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FerryError } from './errors.ts';
import { patternRedactor, redact, redactError, redactorFor, runSecrets, SecretSet } from './redact.ts';
import { RunSession } from './session.ts';

const masked: [string, string, string][] = [
  ['AWS access key id', 'key AKIAIOSFODNN7EXAMPLE used', 'key *** used'],
  ['temporary access key id', 'ASIAABCDEFGHIJKLMNOP', '***'],
  ['aws_secret_access_key=', 'aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key=***'],
  ['AWS_SESSION_TOKEN env', 'AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjEJr//////////wEaCXVz', 'AWS_SESSION_TOKEN=***'],
  ['JSON password', '{"username":"AWS","password":"eyJwYXlsb2FkIjoi"}', '{"username":"AWS","password":"***"}'],
  ['docker login -p', 'docker login -u AWS -p s3cr3tValue 127.0.0.1:5000', 'docker login -u AWS -p *** 127.0.0.1:5000'],
  ['--password flag', 'docker login --password=hunter2hunter2 host', 'docker login --password=*** host'],
  ['Basic header', 'Authorization: Basic QVdTOnNlY3JldHRva2Vu', 'Authorization: ***'],
  ['Bearer token', 'got Bearer abcdefghijklmnop123', 'got Bearer ***'],
  ['credentials in a URL', 'https://AWS:tok3n@123.dkr.ecr.eu-west-1.amazonaws.com/v2/', 'https://AWS:***@123.dkr.ecr.eu-west-1.amazonaws.com/v2/'],
  ['an ECR authorization token', `token ${'QVdTOmV5SndZWGxzYjJGa0lqb2lk'.repeat(10)}`, 'token ***'],
];
for (const [name, input, output] of masked) {
  test(`redact masks ${name}`, () => assert.is(redact(input), output));
}

test('redact keeps ordinary text: tags, shas, image references, ARNs', () => {
  for (const text of [
    '[api] build-image: skipped — 127.0.0.1:5000/api:ft-0123456789abcdef0123 already exists',
    'commit 9000b3185913d257201bef29e12804a340e96554',
    'arn:aws:ecs:us-east-1:000000000000:task-definition/api:7',
    'deployment.minimumHealthyPercent must be a number from 0 to 100',
  ]) assert.is(redact(text), text);
});

// A run-time secret no pattern recognises: only the session's set can mask it.
const SECRET = 'zq7-Plain-Looking-Value';

test("a session's secrets are masked wherever they appear; too short ones are ignored", () => {
  const secrets = new RunSession({ workspaceRoot: '/nowhere' }).use(runSecrets);
  assert.is(secrets.redact(`login failed for ${SECRET} at host`), `login failed for ${SECRET} at host`, 'not registered yet');
  secrets.add(SECRET);
  assert.is(secrets.redact(`login failed for ${SECRET} at host (${SECRET})`), 'login failed for *** at host (***)');
  assert.is(secrets.redact('key AKIAIOSFODNN7EXAMPLE used'), 'key *** used', 'the patterns still apply');
  secrets.add('abc'); // too short to mask safely: ignored
  secrets.add(undefined);
  assert.is(secrets.redact('abc'), 'abc');
  assert.is(secrets.size, 1);
});

test('a secret that contains another is masked whole', () => {
  const secrets = new SecretSet();
  secrets.add('inner-secret');
  secrets.add('outer-inner-secret-tail');
  assert.is(secrets.redact('x outer-inner-secret-tail y inner-secret z'), 'x *** y *** z');
});

test('two sessions do not share secrets; without a session only the patterns apply', () => {
  const a = new RunSession({ workspaceRoot: '/nowhere' });
  const b = new RunSession({ workspaceRoot: '/nowhere' });
  a.use(runSecrets).add(SECRET);
  assert.is(redactorFor(a).redact(SECRET), '***');
  assert.is(redactorFor(b).redact(SECRET), SECRET, "b never obtained it: a's secret is not b's");
  assert.is(redactorFor(undefined), patternRedactor);
  assert.is(redactorFor(undefined).redact(SECRET), SECRET);
  assert.is(redact(SECRET), SECRET, 'the pure redact holds no secrets');
});

test('redactError masks message, details, stack and causes, and keeps a FerryError a FerryError', () => {
  const secrets = new SecretSet();
  secrets.add(SECRET);
  const cause = new Error(`socket said ${SECRET}`);
  const e = new FerryError('PUSH_FAILED', `push with ${SECRET} refused`, { exitCode: 4, details: [`tried ${SECRET}`], cause });
  const out = redactError(e, secrets) as FerryError;
  assert.instance(out, FerryError);
  assert.equal([out.code, out.exitCode, out.message, out.details], ['PUSH_FAILED', 4, 'push with *** refused', ['tried ***']]);
  assert.not.match(out.stack ?? '', SECRET);
  assert.match(out.stack ?? '', /push with \*\*\* refused/);
  assert.is((out.cause as Error).message, 'socket said ***');
  const plain = redactError(new TypeError(`boom ${SECRET}`), secrets);
  assert.equal([plain.name, plain.message], ['TypeError', 'boom ***']);
  assert.is(redactError(`thrown string ${SECRET}`, secrets).message, 'thrown string ***');
});

test.run();
