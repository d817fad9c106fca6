// Integration: bring your own service. A service is made through the sandbox's ECS API the way
// Terraform or the console would (an app container and a sidecar, a variable deploy.json does not
// know, its own deployment configuration), imported with `nx g @ferry/nx:import` (the generator's
// code on Nx's own file-system tree, reading through ferry's ECS port), then deployed by ferry:
//  - with the same image, the first deploy is a no-op, with and without `--template`: no new task
//    definition revision, no new deployment;
//  - in template mode, `diff` shows a template change and a bad template stops build-image before
//    anything is built;
//  - a changed image rolls out from the template and keeps the sidecar; the next deploy is a no-op.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateClusterCommand, CreateServiceCommand, DescribeTaskDefinitionCommand, ListTaskDefinitionsCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { FsTree, flushChanges } from 'nx/src/generators/tree';
import { importGenerator, type ImportOptions } from '../tools/nx-plugin/src/generators/import.ts';
import { Fixture, server } from './reliability-support.ts';

const APP = 'api';
const CLUSTER = 'tmpl-it';
const fx = new Fixture('template-import', APP, CLUSTER);
const apiDir = () => join(fx.ws, 'apps', APP);

// A sidecar that only keeps running (essential: false, so it never decides the task's fate).
const sidecar = () => ({ name: 'sidecar', image: fx.sb.baseImage, essential: false, command: ['node', '-e', 'setInterval(() => {}, 1000)'] });

test.before(async () => {
  try {
    await fx.start({ [`apps/${APP}/deploy.json`]: JSON.stringify({ repository: `${CLUSTER}/${APP}` }), [`apps/${APP}/server.js`]: server('v1') });
  } catch (e) {
    console.error(e);
    throw e;
  }
});
test.after(() => fx.stop());

async function revisions(): Promise<string[]> {
  return (await fx.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: APP }))).taskDefinitionArns ?? [];
}

/** The service once its only deployment COMPLETED with every task running. */
async function steady() {
  const until = Date.now() + 120_000;
  for (;;) {
    const svc = await fx.describe();
    const d = svc.deployments ?? [];
    if (d.length === 1 && d[0].rolloutState === 'COMPLETED' && svc.runningCount === svc.desiredCount) return svc;
    if (Date.now() > until) throw new Error(`service not steady: ${JSON.stringify(d)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** What a deploy may not have done: a new revision or a new deployment. */
async function world() {
  const svc = await fx.describe();
  return { revisions: await revisions(), deployments: (svc.deployments ?? []).map((d) => `${d.id} ${d.taskDefinition}`), taskDefinition: svc.taskDefinition };
}

/** `nx g @ferry/nx:import` as Nx runs it: the generator on an FsTree of the workspace, then the changes flushed. */
async function generate(o: Partial<ImportOptions>) {
  const tree = new FsTree(fx.ws, false);
  await importGenerator(tree, { project: APP, cluster: CLUSTER, service: APP, env: 'local', ...o });
  flushChanges(fx.ws, tree.listChanges());
}

let image1 = '';

test('a service made outside ferry, imported without a template: the first deploy of the same image changes nothing', async () => {
  const v1 = await fx.buildAndPush();
  image1 = `${fx.sb.registryHost}/${CLUSTER}/${APP}:${v1}`;
  await fx.ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
  await fx.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: APP,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '512',
      memory: '1024',
      containerDefinitions: [
        // PORT: the sandbox's port contract (docs/sandbox.md) gives each task its own host port in place of this value.
        { name: APP, image: image1, essential: true, portMappings: [{ containerPort: 8080 }], environment: [{ name: 'EXTRA', value: 'kept' }, { name: 'PORT', value: '8080' }] },
        sidecar(),
      ],
      tags: [{ key: 'owner', value: 'terraform' }],
    }),
  );
  await fx.ecs.send(
    new CreateServiceCommand({
      cluster: CLUSTER,
      serviceName: APP,
      taskDefinition: APP,
      desiredCount: 1,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0123456789abcdef0'], securityGroups: ['sg-0123456789abcdef0'] } },
      // Not ferry's defaults (circuit breaker with rollback): the import must keep them.
      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: false } },
    }),
  );
  await steady();
  const before = await world();
  assert.is(before.revisions.length, 1);

  // Refuses to overwrite the deploy.json that exists.
  let refused = '';
  await generate({}).catch((e: Error) => (refused = e.message));
  assert.match(refused, /deploy\.json already exists; nothing was written\. Pass --force/);

  await generate({ force: true });
  const deployJson = JSON.parse(readFileSync(join(apiDir(), 'deploy.json'), 'utf8'));
  assert.is(deployJson.repository, `${CLUSTER}/${APP}`);
  assert.equal(deployJson.deployment, { circuitBreaker: { enable: true, rollback: false } });
  assert.is(deployJson.taskDefinition, undefined);
  fx.commit({}, 'import');

  const diff = await fx.run('diff', ['--exit-code']);
  assert.is(diff.code, 0, diff.out);
  const out = await fx.must('deploy-app');
  assert.match(out, /up to date/);
  assert.equal(await world(), before, 'no new revision, no new deployment');
});

test('imported with --template: no-op first deploy; diff shows a template change; a bad template stops build-image', async () => {
  const before = await world();
  await generate({ template: true, force: true });
  const deployJson = JSON.parse(readFileSync(join(apiDir(), 'deploy.json'), 'utf8'));
  assert.is(deployJson.taskDefinition, 'ecs-task-def.json');
  const template = JSON.parse(readFileSync(join(apiDir(), 'ecs-task-def.json'), 'utf8'));
  assert.equal(template.containerDefinitions.map((c: { name: string }) => c.name), [APP, 'sidecar']);
  assert.is(template.containerDefinitions[0].image, '${image}');
  assert.is(template.containerDefinitions[1].image, fx.sb.baseImage);
  assert.equal(template.tags, [{ key: 'owner', value: 'terraform' }]);
  assert.is(template.revision, undefined, 'no DescribeTaskDefinition-only fields');
  fx.commit({}, 'import with a template');

  const diff = await fx.run('diff', ['--exit-code']);
  assert.is(diff.code, 0, diff.out);
  assert.match(await fx.must('deploy-app'), /up to date/);
  assert.equal(await world(), before, 'no new revision, no new deployment');

  // diff shows what a template change would register (and changes nothing).
  const changed = structuredClone(template);
  changed.containerDefinitions[0].environment.push({ name: 'FEATURE', value: '${env.FEATURE}' });
  writeFileSync(join(apiDir(), 'ecs-task-def.json'), JSON.stringify(changed, null, 2));
  writeFileSync(join(apiDir(), 'deploy.json'), JSON.stringify({ ...deployJson, environment: { FEATURE: 'on' } }, null, 2));
  const d2 = await fx.run('diff', ['--exit-code']);
  assert.is(d2.code, 2, d2.out);
  assert.match(d2.out, /\+\s+"name": "FEATURE"/);
  assert.match(d2.out, /\+\s+"value": "on"/);

  // An unknown placeholder: refused before anything is built, naming the file, the path and the fix.
  changed.containerDefinitions[1].command = ['node', '${imag}'];
  writeFileSync(join(apiDir(), 'ecs-task-def.json'), JSON.stringify(changed, null, 2));
  const bad = await fx.run('build-image');
  assert.is(bad.code, 1, bad.out);
  assert.match(bad.out, /apps\/api\/ecs-task-def\.json: containerDefinitions\[1\]\.command\[1\]: unknown placeholder \$\{imag\}\. Did you mean \$\{image\}\?/);
  assert.not.match(bad.out, /docker build|built /);
  assert.equal(await world(), before);

  // A literal secret-looking value in the template (here the sidecar's): deploy-app refuses it before
  // anything is written, as it refuses one in deploy.json's environment, naming the file, the JSON
  // path and the fix; the value is never printed.
  changed.containerDefinitions[1].command = sidecar().command;
  changed.containerDefinitions[1].environment = [{ name: 'UPSTREAM_TOKEN', value: 'tok-4f9a1c' }];
  writeFileSync(join(apiDir(), 'ecs-task-def.json'), JSON.stringify(changed, null, 2));
  const secret = await fx.run('deploy-app');
  assert.is(secret.code, 1, secret.out);
  assert.match(secret.out, /apps\/api\/ecs-task-def\.json: containerDefinitions\[1\]\.environment\[0\] \(UPSTREAM_TOKEN, container "sidecar"\) looks like a secret in plaintext/);
  assert.match(secret.out, /container's "secrets" with a valueFrom/);
  assert.not.match(secret.out, /tok-4f9a1c/);
  assert.equal(await world(), before);

  // Back to the committed template.
  fx.git('checkout', '--', '.');
});

test('template mode: a changed image rolls out from the template and keeps the sidecar; the next deploy is a no-op', async () => {
  const before = await world();
  fx.commit({ [`apps/${APP}/server.js`]: server('v2') }, 'v2');
  const v2 = await fx.buildAndPush();
  const out = await fx.must('deploy-app');
  assert.match(out, /COMPLETED/);
  const after = await world();
  assert.is(after.revisions.length, before.revisions.length + 1, 'one new revision');
  const td = (await fx.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: after.taskDefinition!, include: ['TAGS'] })));
  const [api, side] = td.taskDefinition!.containerDefinitions!;
  assert.is(api.image, `${fx.sb.registryHost}/${CLUSTER}/${APP}:${v2}`);
  assert.equal(api.environment, [{ name: 'EXTRA', value: 'kept' }, { name: 'PORT', value: '8080' }]);
  assert.is(side.name, 'sidecar');
  assert.is(side.image, fx.sb.baseImage);
  assert.equal(side.command, sidecar().command);
  assert.equal([td.taskDefinition!.cpu, td.taskDefinition!.memory], ['512', '1024']);
  assert.ok(td.tags!.some((t) => t.key === 'owner' && t.value === 'terraform'), 'the template\'s tags');
  assert.ok(td.tags!.some((t) => t.key === 'ferry:content-tag' && t.value === v2), 'ferry\'s content tag');
  const svc = await fx.describe();
  assert.equal(svc.deploymentConfiguration?.deploymentCircuitBreaker, { enable: true, rollback: false });

  // The spec tag vouches for the rendered template: the same deploy again reads and writes nothing new.
  const again = await fx.must('deploy-app');
  assert.match(again, /up to date/);
  assert.equal(await world(), after);
  assert.ok(existsSync(join(apiDir(), 'ecs-task-def.json')));
});

test.run();
