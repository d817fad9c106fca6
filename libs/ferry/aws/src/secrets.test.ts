// The run's ECR port adds every registry token it obtains to the run's secrets: through the real ECR
// client against the sandbox's API server, answering GetAuthorizationToken with the sandbox's own
// implementation (ECS-SEMANTICS §5: base64 of `AWS:<password>`, the registry as proxyEndpoint).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { redactorFor, RunSession, type EnvironmentConfig } from '@ferry/core';
import { Control } from '../../../../tools/sandbox/src/control.ts';
import { startApiServer } from '../../../../tools/sandbox/src/server.ts';
import { authorizationOperations } from '../../../../tools/sandbox/src/ecr/api/authorization.ts';
import type { EcrDeps } from '../../../../tools/sandbox/src/ecr/api/common.ts';
import { awsClients } from './clients.ts';
import { getRegistryCredentials } from './ecr.ts';

// A password no pattern of `redact` recognises: only the session's set can mask it.
const PASSWORD = 'zq7-Plain-Looking-Value';
let api: Awaited<ReturnType<typeof startApiServer>>;
let env: EnvironmentConfig;

test.before(async () => {
  const deps = { ctx: { registryAuth: { username: 'AWS', password: PASSWORD }, registryHost: '127.0.0.1:5999' } } as unknown as EcrDeps;
  const ecr = { handlers: authorizationOperations(deps), start: async () => {}, stop: async () => {} };
  api = await startApiServer({ host: '127.0.0.1', port: 0, control: new Control(), services: { ecr }, log: () => {}, info: () => ({}), health: () => ({}) });
  env = { name: 'local', kind: 'sandbox', region: 'us-east-1', cluster: 'ferry', endpoint: `http://127.0.0.1:${api.port}` };
});
test.after(() => api.stop());

test("the token and password ECR hands out are the run's secrets, masked in all it prints; another run's are its own", async () => {
  const run = new RunSession({ workspaceRoot: '/nowhere', env: {} });
  const other = new RunSession({ workspaceRoot: '/nowhere', env: {} });
  const creds = await getRegistryCredentials(run.use(awsClients).ecr(env));
  assert.is(creds.password, PASSWORD);
  const token = Buffer.from(`AWS:${PASSWORD}`).toString('base64');
  const text = `docker login failed: ${PASSWORD} (token ${token})`;
  assert.is(redactorFor(run).redact(text), 'docker login failed: *** (token ***)');
  assert.is(redactorFor(other).redact(text), text, 'a run that obtained nothing masks nothing of it');
});

test.run();
