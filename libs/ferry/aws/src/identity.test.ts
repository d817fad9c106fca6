// ferry's account check through the real STS client against the sandbox's API server, which answers
// GetCallerIdentity in the AWS Query protocol (XML) as STS does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { EnvironmentConfig, FerryError } from '@ferry/core';
import { Control } from '../../../../tools/sandbox/src/control.ts';
import { startApiServer } from '../../../../tools/sandbox/src/server.ts';
import { checkAccount, credentialSource } from './account.ts';
import { identityPort } from './identity.ts';

let api: Awaited<ReturnType<typeof startApiServer>>;
let endpoint = '';
const sts = () => new STSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 });
const ecr = { handlers: {}, start: async () => {}, stop: async () => {} };

test.before(async () => {
  api = await startApiServer({ host: '127.0.0.1', port: 0, control: new Control(), services: { ecr }, accountId: '111122223333', log: () => {}, info: () => ({}), health: () => ({}) });
  endpoint = `http://127.0.0.1:${api.port}`;
});
test.after(() => api.stop());

const prod: EnvironmentConfig = { name: 'prod', kind: 'aws', region: 'eu-west-1', cluster: 'p', accountId: '111122223333', profile: 'prod' };

test('the sandbox answers GetCallerIdentity (Query protocol, XML) the way the SDK parses it', async () => {
  const r = await sts().send(new GetCallerIdentityCommand({}));
  assert.equal([r.Account, r.Arn, r.UserId], ['111122223333', 'arn:aws:iam::111122223333:root', '111122223333']);
});

test('checkAccount: the right account passes; another one names the credential source that won', async () => {
  assert.equal(await checkAccount(prod, identityPort(sts()), {}), { account: '111122223333', arn: 'arn:aws:iam::111122223333:root' });
  assert.is(await checkAccount({ ...prod, kind: 'sandbox' }, identityPort(sts()), {}), undefined, 'the sandbox is not checked');
  assert.is(await checkAccount({ ...prod, accountId: undefined }, identityPort(sts()), {}), undefined, 'no accountId: nothing to check');
  try {
    await checkAccount({ ...prod, accountId: '999999999999' }, identityPort(sts()), { AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' });
    assert.unreachable('no error');
  } catch (e) {
    assert.is((e as FerryError).code, 'AWS_CREDENTIALS');
    const m = (e as Error).message;
    assert.match(m, /belong to account 111122223333 \(arn:aws:iam::111122223333:root\), not to its accountId 999999999999/);
    assert.match(m, /environment variables AWS_ACCESS_KEY_ID \/ AWS_SECRET_ACCESS_KEY, which override ferry\.json's profile "prod"/);
    assert.match(m, /Nothing was built or deployed/);
  }
});

test('credentialSource follows the SDK precedence ferry uses (profileFor)', () => {
  assert.match(credentialSource(prod, { AWS_PROFILE: 'dev', AWS_ACCESS_KEY_ID: 'A', AWS_SECRET_ACCESS_KEY: 's' }), /^the profile "dev" from AWS_PROFILE \(AWS_ACCESS_KEY_ID is set too/);
  assert.is(credentialSource(prod, {}), 'the profile "prod" from ferry.json');
  assert.match(credentialSource({}, {}), /default credential chain/);
  assert.match(credentialSource(prod, { AWS_WEB_IDENTITY_TOKEN_FILE: '/t', AWS_ROLE_ARN: 'arn:aws:iam::1:role/ci' }), /web identity token .*role arn:aws:iam::1:role\/ci/);
});

test.run();
