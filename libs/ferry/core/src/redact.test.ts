import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { redact, registerSecret } from './redact.ts';

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

test('registered secrets are masked wherever they appear', () => {
  registerSecret('pa55-word-xyz');
  assert.is(redact('login failed for pa55-word-xyz at host'), 'login failed for *** at host');
  registerSecret('abc'); // too short to mask safely: ignored
  assert.is(redact('abc'), 'abc');
});

test.run();
