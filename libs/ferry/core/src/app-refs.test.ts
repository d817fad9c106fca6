// `${app:<project>.url}` references in deploy.json environment values: parsing and substitution.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appRefs, deployJsonAppRefs, resolveAppRefs } from './app-refs.ts';

const cases: [string, string[]][] = [
  ['${app:api.url}', ['api']],
  ['${app:api.url}/v1?x=${app:auth-service.url}', ['api', 'auth-service']],
  ['http://127.0.0.1:3000', []],
  ['${app:api.port}', []],
  ['$app:api.url', []],
];
for (const [value, want] of cases) {
  test(`appRefs ${JSON.stringify(value)}`, () => {
    assert.equal(appRefs(value), want);
  });
}

test('deployJsonAppRefs: base environment and per-environment overrides, sorted and unique', () => {
  const deploy = { environment: { API_URL: '${app:api.url}' }, environments: { prod: { environment: { AUTH: '${app:auth.url}', API_URL: '${app:api.url}' } }, staging: { desiredCount: 2 } } };
  assert.equal(deployJsonAppRefs(deploy), ['api', 'auth']);
  assert.equal(deployJsonAppRefs({}), []);
});

test('resolveAppRefs replaces each reference and keeps the rest', async () => {
  const urls: Record<string, string> = { api: 'http://127.0.0.1:4601', auth: 'https://auth.example.com' };
  assert.is(await resolveAppRefs('${app:api.url}/v1 ${app:auth.url}', async (p) => urls[p]), 'http://127.0.0.1:4601/v1 https://auth.example.com');
  assert.is(await resolveAppRefs('plain', async () => 'x'), 'plain');
});

test.run();
