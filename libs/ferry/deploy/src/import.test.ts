// Table tests for import (import.ts) and template mode's plan: what the generator writes for a live
// service, and that ferry's plan on what it wrote is `up-to-date` (no RegisterTaskDefinition, no
// UpdateService) while a changed image or template is an update.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyAppDefaults, compileRegisterInputCheck, renderTemplate, templateValues, type AppDeployConfig, type EnvironmentConfig, type TaskTemplate } from '@ferry/core';
import type { EcsService, EcsTaskDefinition, TaskDefinitionWithTags } from '@ferry/aws';
import { appContainer, checkImportCluster, importService, parseImageRef } from './import.ts';
import { planDeploy, type LiveState } from './plan.ts';
import { desiredTaskDefinition, specFingerprint, templateFingerprint, templateTaskDefinition } from './task-definition.ts';
import { deployment, sandboxEnv, service, tdArn } from './fixtures.test-support.ts';

const IMG = '127.0.0.1:5000/team/api:ft-0123456789abcdef0123';
const IMG2 = '127.0.0.1:5000/team/api:ft-ffffffffffffffffffff';
const env: EnvironmentConfig = sandboxEnv;

/** A live revision made elsewhere: an app container, a sidecar, a volume, server-filled fields. */
function liveTaskDef(): TaskDefinitionWithTags {
  const taskDefinition = {
    taskDefinitionArn: tdArn(4),
    family: 'api',
    revision: 4,
    status: 'ACTIVE',
    compatibilities: ['EC2', 'FARGATE'],
    requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.task-eni' }],
    registeredAt: new Date(0),
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '512',
    memory: '1024',
    volumes: [{ name: 'scratch' }],
    containerDefinitions: [
      {
        name: 'api',
        image: IMG,
        essential: true,
        portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }],
        environment: [{ name: 'PORT', value: '8080' }, { name: 'GREETING', value: 'cost ${HOME}' }],
        mountPoints: [{ sourceVolume: 'scratch', containerPath: '/scratch' }],
      },
      { name: 'sidecar', image: 'public.ecr.aws/x/y:1', essential: false },
    ],
  } as unknown as EcsTaskDefinition;
  return { taskDefinition, tags: [{ key: 'owner', value: 'terraform' }, { key: 'aws:cloudformation:stack-name', value: 's' }, { key: 'ferry:content-tag', value: 'ft-old' }] };
}

const liveService = (over: Partial<EcsService> = {}): EcsService =>
  service([deployment({ taskDefinition: tdArn(4) })], { deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 200, deploymentCircuitBreaker: { enable: false, rollback: false } }, ...over });

/** deploy.json as the generator wrote it, loaded as ferry loads it (and the template, in template mode). */
function loadImported(deployJson: Record<string, unknown>, template?: Record<string, unknown>): AppDeployConfig {
  const app = applyAppDefaults(deployJson, '/w/apps/api/deploy.json', 'api', 'apps/api/deploy.json');
  if (!template) return app;
  const t: TaskTemplate = { file: '/w/apps/api/ecs-task-def.json', shown: 'apps/api/ecs-task-def.json', raw: template, check: compileRegisterInputCheck() };
  return { ...app, family: template.family as string, logs: false, template: t };
}

/** Plans as planFor does, for a live state (template or patch mode). */
function plan(app: AppDeployConfig, live: LiveState, imageRef = IMG) {
  const contentTag = imageRef.split(':').pop()!;
  const meta = { contentTag, gitSha: 'abc' };
  const rendered = app.template ? renderTemplate(app.template, app, templateValues(app, env, imageRef, contentTag)) : undefined;
  const registerInput = rendered ? templateTaskDefinition(rendered, meta) : desiredTaskDefinition(live.taskDef, app, env, imageRef, meta);
  const fingerprint = rendered ? templateFingerprint(rendered, app, contentTag) : specFingerprint(app, env, imageRef, contentTag);
  return { plan: planDeploy(live, { app, env, imageRef, contentTag, registerInput, fingerprint }), fingerprint };
}

test('parseImageRef', () => {
  const table: [string | undefined, ReturnType<typeof parseImageRef>][] = [
    ['127.0.0.1:5000/team/api:ft-1', { host: '127.0.0.1:5000', repository: 'team/api', tag: 'ft-1' }],
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:v3', { host: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', repository: 'api', tag: 'v3' }],
    ['localhost/api', { host: 'localhost', repository: 'api' }],
    ['nginx:1', undefined],
    ['team/api:1', undefined],
    ['host.example/api@sha256:abc', undefined],
    [undefined, undefined],
  ];
  for (const [ref, want] of table) assert.equal(parseImageRef(ref), want, String(ref));
});

test('appContainer: named, else the load balancer\'s, else the only essential one, else the first', () => {
  const cs = [{ name: 'proxy', essential: true }, { name: 'api', essential: true }, { name: 'log', essential: false }];
  assert.is(appContainer(cs, {}, 'api').name, 'api');
  assert.is(appContainer(cs, { loadBalancers: [{ containerName: 'api', containerPort: 1 }] }).name, 'api');
  assert.is(appContainer([{ name: 'log', essential: false }, { name: 'api' }], {}).name, 'api');
  assert.is(appContainer(cs, {}).name, 'proxy');
  assert.throws(() => appContainer(cs, {}, 'nope'), /no container named "nope"; its containers: "proxy", "api", "log"\. Pass --container/);
});

test('checkImportCluster: the environment\'s cluster, by name or ARN', () => {
  checkImportCluster('ferry-local', env);
  checkImportCluster('arn:aws:ecs:us-east-1:000000000000:cluster/ferry-local', env);
  assert.throws(() => checkImportCluster('other', env), /--cluster other, but environment local deploys to cluster ferry-local/);
});

test('patch mode: deploy.json keeps the service\'s settings, and the plan on it is up-to-date', () => {
  const live: LiveState = { service: liveService(), taskDef: liveTaskDef() };
  const r = importService({ project: 'api', env, service: live.service, taskDef: live.taskDef!, template: false });
  assert.equal(r.deployJson, { repository: 'team/api', deployment: { minimumHealthyPercent: 50, circuitBreaker: { enable: false, rollback: false } } });
  assert.is(r.template, undefined);
  assert.ok(r.notes.some((n) => /containerPort 8080 not written: in the sandbox/.test(n)), r.notes.join('\n'));
  assert.is(plan(loadImported(r.deployJson), live).plan.kind, 'up-to-date');
});

test('template mode: the template is the live revision with ${image}; the plan on it is up-to-date, a new image an update', () => {
  const live: LiveState = { service: liveService(), taskDef: liveTaskDef() };
  const r = importService({ project: 'api', env, service: live.service, taskDef: live.taskDef!, template: true, schema: '../../schema.json' });
  assert.equal(r.deployJson, { $schema: '../../schema.json', taskDefinition: 'ecs-task-def.json', repository: 'team/api', deployment: { minimumHealthyPercent: 50, circuitBreaker: { enable: false, rollback: false } } });
  const t = r.template!.json as { containerDefinitions: { image: string; environment?: { value: string }[] }[]; tags: unknown; revision?: unknown; family: string };
  assert.is(t.containerDefinitions[0].image, '${image}');
  assert.is(t.containerDefinitions[1].image, 'public.ecr.aws/x/y:1');
  assert.is(t.containerDefinitions[0].environment![1].value, 'cost $${HOME}', 'a literal ${ is escaped');
  assert.equal(t.tags, [{ key: 'owner', value: 'terraform' }], 'neither ferry\'s nor AWS\'s own tags');
  assert.is(t.revision, undefined);
  const app = loadImported(r.deployJson, r.template!.json);
  const same = plan(app, live);
  assert.is(same.plan.kind, 'up-to-date', same.plan.taskDefinitionDiff);
  const next = plan(app, live, IMG2);
  assert.is(next.plan.kind, 'update');
  if (next.plan.kind !== 'update') return;
  assert.is(next.plan.registerInput.containerDefinitions![0].image, IMG2);
  assert.equal(next.plan.registerInput.containerDefinitions![1], live.taskDef!.taskDefinition.containerDefinitions![1], 'the sidecar as it was');
  assert.match(next.plan.taskDefinitionDiff, /"image": /);
  assert.is.not(next.fingerprint, same.fingerprint);
});

test('template fingerprint: the rendered template, the container name and the content tag; not ferry\'s own tags', () => {
  const t = importService({ project: 'api', env, service: liveService(), taskDef: liveTaskDef(), template: true }).template!.json;
  const app = loadImported({ taskDefinition: 'ecs-task-def.json', repository: 'team/api' }, t);
  const fp = (a: AppDeployConfig, image = IMG) => plan(a, { service: liveService(), taskDef: liveTaskDef() }, image).fingerprint;
  const changed = structuredClone(t) as { containerDefinitions: { essential?: boolean }[] };
  changed.containerDefinitions[1].essential = true;
  const table: [string, string, boolean][] = [
    ['the same', fp(app), true],
    ['another image', fp(app, IMG2), false],
    ['a template change', fp(loadImported({ taskDefinition: 'ecs-task-def.json', repository: 'team/api' }, changed)), false],
  ];
  for (const [what, got, same] of table) assert.is(got === fp(app), same, what);
  assert.match(fp(app), /^v\d+-[0-9a-f]{24}$/);
});

test.run();
