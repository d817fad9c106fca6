// Integration: promote between environments of one sandbox that hosts two ECR registries (accounts
// 000000000000 and 111111111111, docs/sandbox.md "Several registries"). The app is built and
// deployed once, to environment `a`; `promote` puts that exact digest into `b` (same registry and
// repository: a manifest retag by BatchGetImage + PutImage) and into `c` (the second registry: a
// copy of manifest and blobs over the registry HTTP API). Asserts on the world: the images in both
// registries, the services' task definitions and tasks, HTTP answers, the sandbox's call counters,
// and that promote never ran the docker CLI. Also: pruning a family of many revisions, paced.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DescribeImagesCommand, PutImageCommand, BatchGetImageCommand, CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { CreateClusterCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand, DescribeTasksCommand, ListTasksCommand, RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { createEcsPort } from '../libs/ferry/aws/src/index.ts';
import { systemClock } from '../libs/ferry/core/src/index.ts';
import { DEREGISTER_PER_SECOND, pruneRevisions, tokenBucket } from '../libs/ferry/deploy/src/index.ts';
import { Fixture, server } from './reliability-support.ts';

const SECOND_ACCOUNT = '111111111111';
// The sandbox reads this when it starts (ecr/registries.ts): a second account with its own registry.
process.env.FERRY_SANDBOX_REGISTRY_ACCOUNTS = SECOND_ACCOUNT;

const APP = 'promo';
const f = new Fixture('promote', APP, 'promote-a');
const REPO = `promote-a/${APP}`;
let digest = '';
let tagA = '';
/** A `docker` first on the PATH of promote's runs: it records being called and fails. */
let dockerLog = '';

const env = (cluster: string, extra: Record<string, unknown> = {}) => ({ kind: 'sandbox', region: 'us-east-1', cluster, endpoint: f.sb.endpoint, buildArgs: { BASE_IMAGE: f.sb.baseImage }, ...extra });

test.before(async () => {
  try {
    await f.start({ [`apps/${APP}/deploy.json`]: f.deployJson({ keepRevisions: 5 }), [`apps/${APP}/server.js`]: server('v1') });
    // a and b share the sandbox's own registry; c's registry is the second account's (registryId):
    // ferry learns its host from GetAuthorizationToken's proxyEndpoint.
    const environments = { a: env('promote-a', { registry: f.sb.registryHost }), b: env('promote-b', { registry: f.sb.registryHost }), c: env('promote-c', { registryId: SECOND_ACCOUNT }) };
    f.commit({ 'ferry.json': JSON.stringify({ defaultEnvironment: 'a', environments }, null, 2) }, 'three environments');
    const bin = join(f.tmp, 'fake-bin');
    mkdirSync(bin, { recursive: true });
    dockerLog = join(f.tmp, 'docker-calls.log');
    writeFileSync(join(bin, 'docker'), `#!/bin/sh\necho "$@" >> '${dockerLog}'\nexit 1\n`);
    chmodSync(join(bin, 'docker'), 0o755);
  } catch (e) {
    console.error(e);
    throw e;
  }
});

test.after(async () => {
  // Images pulled by digest (b and c run pinned images), from both registries; f.stop() removes the
  // tagged ones. After the stop: a running task's image cannot be removed.
  const hosts = Object.values(f.sb?.registries ?? {});
  await f.stop();
  const images = spawnSync('docker', ['images', '--digests', '--format', '{{.Repository}}@{{.Digest}}'], { encoding: 'utf8' }).stdout.split('\n').filter((r) => hosts.some((h) => r.startsWith(`${h}/`)) && !r.endsWith('@<none>'));
  if (images.length) spawnSync('docker', ['rmi', '-f', ...images]);
});

const noDocker = () => ({ env: { PATH: `${join(f.tmp, 'fake-bin')}:${process.env.PATH}` } });

async function running(cluster: string) {
  const svc = (await f.ecs.send(new DescribeServicesCommand({ cluster, services: [APP], include: ['TAGS'] }))).services![0];
  const primary = svc.deployments!.find((d) => d.status === 'PRIMARY')!;
  const td = await f.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: primary.taskDefinition!, include: ['TAGS'] }));
  const arns = (await f.ecs.send(new ListTasksCommand({ cluster, serviceName: APP, desiredStatus: 'RUNNING' }))).taskArns ?? [];
  const tasks = arns.length ? (await f.ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks ?? [] : [];
  const tags = Object.fromEntries((td.tags ?? []).map((t) => [t.key!, t.value!]));
  return { svc, primary, image: td.taskDefinition!.containerDefinitions![0].image!, tags, tasks: tasks.filter((t) => t.taskDefinitionArn === primary.taskDefinition) };
}

test('deploy to a: the source of the promotes', async () => {
  tagA = await f.buildAndPush();
  await f.must('deploy-app', ['--env=a']);
  const a = await running('promote-a');
  assert.is(a.image, `${f.sb.registryHost}/${REPO}:${tagA}`);
  const img = await f.ecr.send(new DescribeImagesCommand({ repositoryName: REPO, imageIds: [{ imageTag: tagA }] }));
  digest = img.imageDetails![0].imageDigest!;
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  // DescribeTasks reports the digest the tag resolved to at pull time (model: Container.imageDigest).
  assert.ok(a.tasks.length >= 1);
  for (const t of a.tasks) assert.is(t.containers![0].imageDigest, digest);
});

test('promote refuses incomplete or contradictory environments before any AWS call', async () => {
  const before = f.sb.stats();
  const none = await f.run('promote', ['--from=a']);
  assert.is.not(none.code, 0);
  assert.match(none.out, /promote needs --from <environment> and --to <environment>/);
  const same = await f.run('promote', ['--from=a', '--to=a']);
  assert.match(same.out, /--from and --to are both a/);
  const disagree = await f.run('promote', ['--from=a', '--to=b', '--env=c']);
  assert.match(disagree.out, /--env c and --to b disagree/);
  assert.equal(f.sb.stats().ecs, before.ecs, 'no ECS call');
});

test('promote --dry-run shows the copy and the deploy plan and changes nothing', async () => {
  const before = f.sb.stats();
  // The Nx configuration form: `nx run promo:promote:c --from a` passes --env=c, the target.
  const out = await f.must('promote', ['--from=a', '--env=c', '--dry-run'], noDocker());
  assert.ok(out.includes(`source: a ${APP} runs ${APP}:1 with ${f.sb.registryHost}/${REPO}:${tagA} = ${digest}`), out);
  assert.match(out, /copy: 127\.0\.0\.1:\d+\/promote-a\/promo@sha256:[0-9a-f]{64} -> 127\.0\.0\.1:\d+\/promote-a\/promo:ft-/);
  assert.match(out, /would ensure the cluster|does not exist in cluster promote-c/);
  const after = f.sb.stats();
  for (const op of ['PutImage', 'CreateRepository']) assert.is(after.ecr[op] ?? 0, before.ecr[op] ?? 0, op);
  assert.is(after.ecs.RegisterTaskDefinition ?? 0, before.ecs.RegisterTaskDefinition ?? 0);
  assert.is(after.registry.POST ?? 0, before.registry.POST ?? 0, 'no blob upload');
});

test('promote a -> b (same registry and repository): a PutImage retag, b runs the exact digest', async () => {
  const before = f.sb.stats();
  const out = await f.must('promote', ['--from=a', '--to=b', '--tag=release-1'], noDocker());
  assert.match(out, /tagged by PutImage \(manifest copy\)/);
  const after = f.sb.stats();
  assert.is((after.ecr.PutImage ?? 0) - (before.ecr.PutImage ?? 0), 1, 'one PutImage');
  assert.is((after.ecr.BatchGetImage ?? 0) - (before.ecr.BatchGetImage ?? 0), 1, 'one BatchGetImage');
  assert.is(after.registry.POST ?? 0, before.registry.POST ?? 0, 'no blob upload: the manifest was copied, not the layers');
  const tagged = await f.ecr.send(new DescribeImagesCommand({ repositoryName: REPO, imageIds: [{ imageTag: 'release-1' }] }));
  assert.is(tagged.imageDetails![0].imageDigest, digest);
  const b = await running('promote-b');
  assert.is(b.image, `${f.sb.registryHost}/${REPO}@${digest}`, 'pinned by digest');
  assert.is(b.primary.rolloutState, 'COMPLETED');
  assert.ok(b.tasks.length >= 1);
  for (const t of b.tasks) {
    assert.is(t.containers![0].image, b.image);
    assert.is(t.containers![0].imageDigest, digest, 'the task runs the source digest');
  }
  const a = await running('promote-a');
  assert.is(b.tags['ferry:promoted-from'], `a ${digest} ${a.primary.taskDefinition}`);
  assert.not.ok(existsSync(dockerLog), `promote ran docker: ${existsSync(dockerLog) ? readFileSync(dockerLog, 'utf8') : ''}`);
});

test('promote a -> c (the second registry): manifest and blobs copied, c runs the exact digest and answers', async () => {
  const before = f.sb.stats();
  const out = await f.must('promote', ['--from=a', '--to=c'], noDocker());
  assert.match(out, /copied \d+ blob\(s\)/);
  const after = f.sb.stats();
  assert.ok((after.registry.POST ?? 0) > (before.registry.POST ?? 0), 'blob uploads went to a registry');
  const second = f.sb.registries[SECOND_ACCOUNT];
  assert.ok(second && second !== f.sb.registryHost);
  // The second account's repository holds the same digest under the same content tag.
  const copied = await f.ecr.send(new DescribeImagesCommand({ registryId: SECOND_ACCOUNT, repositoryName: REPO, imageIds: [{ imageTag: tagA }] }));
  assert.is(copied.imageDetails![0].imageDigest, digest);
  assert.is(copied.imageDetails![0].registryId, SECOND_ACCOUNT);
  const c = await running('promote-c');
  assert.is(c.image, `${second}/${REPO}@${digest}`);
  assert.is(c.primary.rolloutState, 'COMPLETED');
  assert.ok(c.tasks.length >= 1);
  for (const t of c.tasks) assert.is(t.containers![0].imageDigest, digest, 'pulled from the second registry: the same digest');
  assert.is(c.tags['ferry:promoted-from'].split(' ')[1], digest);
  const url = c.svc.tags!.find((t) => t.key === 'ferry:sandbox-url')!.value!;
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  assert.is(res.status, 200);
  assert.match(await res.text(), /"version":"v1"/);
  assert.not.ok(existsSync(dockerLog), 'promote never runs docker');

  // Again: the tag is already there with that digest; nothing copied, the service is up to date.
  const again = await f.must('promote', ['--from=a', '--to=c'], noDocker());
  assert.match(again, /nothing to copy/);
  assert.match(again, /up to date|runs sha256/);
});

test('history in c links the promoted revision to a', async () => {
  const out = await f.must('history', ['--env=c']);
  assert.match(out, new RegExp(`promoted from a ${APP}:\\d+`));
});

// ECR PutImage as AWS refuses it (ECS-SEMANTICS §5; model: PutImage errors): the same manifest and
// tag again is ImageAlreadyExistsException, another manifest under an existing tag of an IMMUTABLE
// repository is ImageTagAlreadyExistsException, a wrong imageDigest is ImageDigestDoesNotMatchException.
test('the second registry refuses PutImage like ECR', async () => {
  const got = await f.ecr.send(new BatchGetImageCommand({ registryId: SECOND_ACCOUNT, repositoryName: REPO, imageIds: [{ imageDigest: digest }] }));
  const manifest = got.images![0].imageManifest!;
  const put = (o: Record<string, string>) => f.ecr.send(new PutImageCommand({ registryId: SECOND_ACCOUNT, repositoryName: REPO, imageManifest: manifest, ...o }));
  const name = (p: Promise<unknown>) => p.then(() => 'ok', (e: Error) => e.name);
  assert.is(await name(put({ imageTag: tagA })), 'ImageAlreadyExistsException');
  assert.is(await name(put({ imageTag: 'x1', imageDigest: `sha256:${'0'.repeat(64)}` })), 'ImageDigestDoesNotMatchException');
  const other = JSON.stringify({ ...JSON.parse(manifest), annotations: { 'it.ferry': 'other' } });
  const refused = await f.ecr.send(new PutImageCommand({ registryId: SECOND_ACCOUNT, repositoryName: REPO, imageManifest: other, imageTag: tagA })).then(() => 'ok', (e: Error) => e.name);
  assert.is(refused, 'ImageTagAlreadyExistsException');
  // A registry the sandbox does not host: like a repository that is not there.
  assert.is(await name(f.ecr.send(new CreateRepositoryCommand({ registryId: '222222222222', repositoryName: 'x' }))), 'RepositoryNotFoundException');
});

test('pruneRevisions: a family of many revisions, at most 20 per run, paced, never one a running task uses', async () => {
  const cluster = 'promote-prune';
  const family = 'prune-it';
  await f.ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  const arns: string[] = [];
  for (let i = 0; i < 40; i++) {
    const r = await f.ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        containerDefinitions: [{ name: 'main', image: f.sb.baseImage, essential: true, command: ['node', '-e', 'setTimeout(() => {}, 600000)'], environment: [{ name: 'N', value: String(i) }] }],
      }),
    );
    arns.push(r.taskDefinition!.taskDefinitionArn!);
  }
  // A standalone task on the 2nd revision: ListTasks (family) + DescribeTasks must keep it.
  const task = (await f.ecs.send(new RunTaskCommand({ cluster, taskDefinition: arns[1] }))).tasks![0];
  const ecs = createEcsPort(f.ecs);
  const lines: string[] = [];
  const reporter = { emit: (e: { kind: string; message?: string }) => void (e.message && lines.push(e.message)) };
  const pacing = { take: tokenBucket(DEREGISTER_PER_SECOND, systemClock), clock: systemClock };
  const before = f.sb.stats().ecs.DeregisterTaskDefinition ?? 0;
  const started = Date.now();
  const first = await pruneRevisions(ecs, { project: 'prune', family, keepRevisions: 5 }, { cluster, liveArn: arns[39] }, reporter as never, pacing);
  const ms = Date.now() - started;
  assert.is(first.length, 20, 'at most 20 per run');
  assert.is((f.sb.stats().ecs.DeregisterTaskDefinition ?? 0) - before, 20);
  // 2 a second with a burst of 2: the 20th call comes no sooner than 9 s after the first.
  assert.ok(ms >= 8500, `paced: ${ms} ms for 20 deregistrations`);
  assert.not.ok(first.includes(arns[1]), 'the revision a running task uses is kept');
  assert.equal(first, [arns[0], ...arns.slice(2, 21)], 'oldest first');
  assert.match(lines.join('\n'), /kept prune-it:2 \(running tasks use them\); 14 more left for the next deploy \(at most 20 per run\)/);
  const second = await pruneRevisions(ecs, { project: 'prune', family, keepRevisions: 5 }, { cluster, liveArn: arns[39] }, reporter as never, pacing);
  assert.equal(second, arns.slice(21, 35));
  const left = await ecs.listTaskDefinitions(family);
  assert.is(left.length, 6, 'the newest 5 and the one in use');
  await f.ecs.send(new StopTaskCommand({ cluster, task: task.taskArn!, reason: 'test done' }));
});

test.run();
