// Integration: the sandbox's ECR API and registry through the real AWS SDK and the real docker CLI.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  GetLifecyclePolicyCommand,
  ListImagesCommand,
  PutImageCommand,
  PutLifecyclePolicyCommand,
} from '@aws-sdk/client-ecr';
import { startSandbox, sandboxAdmin, SANDBOX_CREDENTIALS, type Sandbox } from '../tools/sandbox/src/index.ts';
import { docker } from '../tools/sandbox/src/docker.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'ferry-sandbox-ecr-'));
const dockerConfig = mkdtempSync(join(tmpdir(), 'ferry-docker-config-'));
const buildDir = mkdtempSync(join(tmpdir(), 'ferry-build-'));
const dockerEnv = { ...process.env, DOCKER_CONFIG: dockerConfig, DOCKER_BUILDKIT: '0' };
const builtTags = new Set<string>();
const builtIds = new Set<string>();
let sb: Sandbox;
let ecr: ECRClient;
let ports: { port: number; registryPort: number };

const client = (endpoint: string, maxAttempts = 3) => new ECRClient({ endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS, maxAttempts });

async function dk(args: string[], input?: string) {
  const r = await docker(args, { env: dockerEnv, input });
  return r;
}

async function mustDk(args: string[], input?: string) {
  const r = await dk(args, input);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r;
}

/** Builds a tiny image FROM the base image whose content (and so digest) depends on `content`. */
async function build(ref: string, content: string) {
  writeFileSync(join(buildDir, 'Dockerfile'), `FROM ${sb.baseImage}\nCOPY payload.txt /app/payload.txt\nCMD ["node", "-e", "console.log(1)"]\n`);
  writeFileSync(join(buildDir, 'payload.txt'), content);
  const r = await mustDk(['build', '-q', '-t', ref, buildDir]);
  builtTags.add(ref);
  builtIds.add(r.stdout.trim().split('\n').pop()!);
}

async function push(ref: string): Promise<string> {
  const r = await mustDk(['push', ref]);
  const digest = /digest: (sha256:[a-f0-9]{64})/.exec(r.stdout)?.[1];
  assert.ok(digest, `push printed a digest: ${r.stdout}`);
  return digest!;
}

async function expectAwsError(p: Promise<unknown>, name: string): Promise<any> {
  try {
    await p;
  } catch (err: any) {
    assert.is(err.name, name, `${err.name}: ${err.message}`);
    return err;
  }
  assert.unreachable(`expected ${name}`);
}

test.before(async () => {
  sb = await startSandbox({ dataDir, port: 0, registryPort: 0, ecs: false, log: () => {} });
  ports = { port: Number(new URL(sb.endpoint).port), registryPort: Number(sb.registryHost.split(':')[1]) };
  ecr = client(sb.endpoint);
});

test.after(async () => {
  await sb?.stop();
  for (const ref of builtTags) await dk(['rmi', '-f', ref]);
  // Images whose tag a later build took over are only reachable by id.
  for (const id of builtIds) await dk(['rmi', '-f', id]);
  for (const d of [dataDir, dockerConfig, buildDir]) rmSync(d, { recursive: true, force: true });
});

test('CreateRepository validates names, refuses duplicates, echoes settings', async () => {
  const out = await ecr.send(new CreateRepositoryCommand({ repositoryName: 'demo/api', imageScanningConfiguration: { scanOnPush: true } }));
  assert.is(out.repository?.repositoryUri, `${sb.registryHost}/demo/api`);
  assert.is(out.repository?.imageTagMutability, 'MUTABLE');
  assert.equal(out.repository?.imageScanningConfiguration, { scanOnPush: true });
  assert.is(out.repository?.repositoryArn, 'arn:aws:ecr:us-east-1:000000000000:repository/demo/api');
  await expectAwsError(ecr.send(new CreateRepositoryCommand({ repositoryName: 'demo/api' })), 'RepositoryAlreadyExistsException');
  await expectAwsError(ecr.send(new CreateRepositoryCommand({ repositoryName: 'Demo' })), 'InvalidParameterException');
  await expectAwsError(ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['missing'] })), 'RepositoryNotFoundException');
});

let v1Digest = '';

test('docker login with GetAuthorizationToken, build FROM the base image, push; the ECR API sees the image', async () => {
  const auth = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0];
  assert.is(auth.proxyEndpoint, `http://${sb.registryHost}`);
  assert.ok(auth.expiresAt!.getTime() > Date.now() + 11 * 3600_000);
  const [user, password] = Buffer.from(auth.authorizationToken!, 'base64').toString().split(':');
  assert.is(user, 'AWS');
  await mustDk(['login', '-u', user, '--password-stdin', sb.registryHost], password);

  const ref = `${sb.registryHost}/demo/api:v1`;
  await build(ref, 'one');
  v1Digest = await push(ref);

  const details = (await ecr.send(new DescribeImagesCommand({ repositoryName: 'demo/api' }))).imageDetails!;
  assert.is(details.length, 1);
  assert.is(details[0].imageDigest, v1Digest);
  assert.equal(details[0].imageTags, ['v1']);
  assert.ok(details[0].imageSizeInBytes! > 1000, `size ${details[0].imageSizeInBytes}`);
  assert.ok(Math.abs(details[0].imagePushedAt!.getTime() - Date.now()) < 120_000);
  assert.ok(details[0].imageManifestMediaType?.includes('manifest'), details[0].imageManifestMediaType);

  const listed = await ecr.send(new ListImagesCommand({ repositoryName: 'demo/api', filter: { tagStatus: 'TAGGED' } }));
  assert.equal(listed.imageIds, [{ imageDigest: v1Digest, imageTag: 'v1' }]);

  await expectAwsError(ecr.send(new DescribeImagesCommand({ repositoryName: 'demo/api', imageIds: [{ imageTag: 'nope' }] })), 'ImageNotFoundException');
  const got = await ecr.send(new BatchGetImageCommand({ repositoryName: 'demo/api', imageIds: [{ imageTag: 'v1' }, { imageTag: 'nope' }] }));
  assert.is(got.images!.length, 1);
  assert.is(got.images![0].imageId?.imageDigest, v1Digest);
  assert.ok(JSON.parse(got.images![0].imageManifest!).layers.length >= 1);
  assert.equal(got.failures!.map((f) => [f.imageId?.imageTag, f.failureCode]), [['nope', 'ImageNotFound']]);
  const unaccepted = await ecr.send(
    new BatchGetImageCommand({ repositoryName: 'demo/api', imageIds: [{ imageTag: 'v1' }], acceptedMediaTypes: ['application/vnd.docker.distribution.manifest.v1+json'] }),
  );
  assert.is(unaccepted.images!.length, 0);
});

test('PutImage retags; the same manifest and tag again is ImageAlreadyExistsException; BatchDeleteImage untags then deletes', async () => {
  const manifest = (await ecr.send(new BatchGetImageCommand({ repositoryName: 'demo/api', imageIds: [{ imageTag: 'v1' }] }))).images![0];
  const put = await ecr.send(new PutImageCommand({ repositoryName: 'demo/api', imageManifest: manifest.imageManifest, imageManifestMediaType: manifest.imageManifestMediaType, imageTag: 'prod' }));
  assert.is(put.image?.imageId?.imageDigest, v1Digest);
  const details = (await ecr.send(new DescribeImagesCommand({ repositoryName: 'demo/api', imageIds: [{ imageTag: 'prod' }] }))).imageDetails!;
  assert.equal(details[0].imageTags, ['prod', 'v1']);
  await expectAwsError(ecr.send(new PutImageCommand({ repositoryName: 'demo/api', imageManifest: manifest.imageManifest, imageTag: 'prod' })), 'ImageAlreadyExistsException');

  const del = await ecr.send(new BatchDeleteImageCommand({ repositoryName: 'demo/api', imageIds: [{ imageTag: 'prod' }, { imageTag: 'ghost' }] }));
  assert.equal(del.imageIds, [{ imageDigest: v1Digest, imageTag: 'prod' }]);
  assert.is(del.failures![0].failureCode, 'ImageNotFound');
  const left = await ecr.send(new ListImagesCommand({ repositoryName: 'demo/api' }));
  assert.equal(left.imageIds, [{ imageDigest: v1Digest, imageTag: 'v1' }], 'untagging one of two tags keeps the image');
});

test('docker push to a repository never created is refused like ECR', async () => {
  const ref = `${sb.registryHost}/never-created:x`;
  await mustDk(['tag', `${sb.registryHost}/demo/api:v1`, ref]);
  builtTags.add(ref);
  const r = await dk(['push', ref]);
  assert.is.not(r.code, 0);
  assert.match(r.stderr + r.stdout, /name unknown: The repository with name 'never-created' does not exist in the registry with id '000000000000'/);
});

test('IMMUTABLE: re-pushing a tag with another digest is refused (docker and PutImage); the same digest is fine', async () => {
  const repo = await ecr.send(new CreateRepositoryCommand({ repositoryName: 'imm', imageTagMutability: 'IMMUTABLE' }));
  assert.is(repo.repository?.imageTagMutability, 'IMMUTABLE');
  const ref = `${sb.registryHost}/imm:v1`;
  await build(ref, 'first');
  const first = await push(ref);
  assert.is(await push(ref), first, 'pushing the same image again succeeds');

  await build(ref, 'second');
  const r = await dk(['push', ref]);
  assert.is.not(r.code, 0);
  assert.match(r.stderr + r.stdout, /tag invalid: The image tag 'v1' already exists in the 'imm' repository and cannot be overwritten because the repository is immutable\./);

  const other = (await ecr.send(new BatchGetImageCommand({ repositoryName: 'demo/api', imageIds: [{ imageTag: 'v1' }] }))).images![0];
  // The other repository's manifest refers to blobs imm does not hold, but the tag check comes first.
  await expectAwsError(ecr.send(new PutImageCommand({ repositoryName: 'imm', imageManifest: other.imageManifest, imageTag: 'v1' })), 'ImageTagAlreadyExistsException');
  const ids = (await ecr.send(new ListImagesCommand({ repositoryName: 'imm' }))).imageIds!;
  assert.equal(ids, [{ imageDigest: first, imageTag: 'v1' }]);
});

test('lifecycle policy: validated, stored, and applied (imageCountMoreThan keeps the newest)', async () => {
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'life' }));
  const digests: string[] = [];
  for (const t of ['a', 'b', 'c']) {
    const ref = `${sb.registryHost}/life:${t}`;
    await build(ref, `life-${t}`);
    digests.push(await push(ref));
    await new Promise((r) => setTimeout(r, 20));
  }
  await expectAwsError(ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'life' })), 'LifecyclePolicyNotFoundException');
  const bad = JSON.stringify({ rules: [1, 1].map(() => ({ rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } })) });
  await expectAwsError(ecr.send(new PutLifecyclePolicyCommand({ repositoryName: 'life', lifecyclePolicyText: bad })), 'ValidationException');

  const policy = JSON.stringify({
    rules: [{ rulePriority: 1, description: 'keep one', selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }],
  });
  await ecr.send(new PutLifecyclePolicyCommand({ repositoryName: 'life', lifecyclePolicyText: policy }));
  assert.is((await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'life' }))).lifecyclePolicyText, policy);
  const ids = (await ecr.send(new ListImagesCommand({ repositoryName: 'life' }))).imageIds!;
  assert.equal(ids, [{ imageDigest: digests[2], imageTag: 'c' }]);
  const gone = await fetch(`http://${sb.registryHost}/v2/life/manifests/${digests[0]}`, {
    headers: { authorization: `Basic ${(await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0].authorizationToken}`, accept: 'application/vnd.docker.distribution.manifest.v2+json' },
  });
  assert.is(gone.status, 404, 'the expired manifest is gone from the registry');

  // A new push is evaluated too (after a short debounce).
  const ref = `${sb.registryHost}/life:d`;
  await build(ref, 'life-d');
  const d = await push(ref);
  for (let i = 0; i < 50; i++) {
    const now = (await ecr.send(new ListImagesCommand({ repositoryName: 'life' }))).imageIds!;
    if (now.length === 1) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal((await ecr.send(new ListImagesCommand({ repositoryName: 'life' }))).imageIds, [{ imageDigest: d, imageTag: 'd' }]);
});

test('lifecycle policy: sinceImagePushed expires by push time', async () => {
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'aged' }));
  const oldRef = `${sb.registryHost}/aged:old`;
  const newRef = `${sb.registryHost}/aged:new`;
  await build(oldRef, 'aged-old');
  const oldDigest = await push(oldRef);
  await build(newRef, 'aged-new');
  const newDigest = await push(newRef);
  // Push times are the sandbox's record; pretend the first push happened ten days ago.
  sb.ctx.state<any>('ecr', {}).update((s) => void (s.repositories.aged.pushedAt[oldDigest] = Date.now() - 10 * 24 * 3600_000));
  const described = (await ecr.send(new DescribeImagesCommand({ repositoryName: 'aged', imageIds: [{ imageDigest: oldDigest }] }))).imageDetails!;
  assert.ok(described[0].imagePushedAt!.getTime() < Date.now() - 9 * 24 * 3600_000);
  const policy = { rules: [{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, action: { type: 'expire' } }] };
  await ecr.send(new PutLifecyclePolicyCommand({ repositoryName: 'aged', lifecyclePolicyText: JSON.stringify(policy) }));
  assert.equal((await ecr.send(new ListImagesCommand({ repositoryName: 'aged' }))).imageIds, [{ imageDigest: newDigest, imageTag: 'new' }]);
});

test('stats count API calls and registry requests; throttle and registry outage faults', async () => {
  const admin = sandboxAdmin(sb.endpoint);
  await admin.resetStats();
  await ecr.send(new DescribeRepositoriesCommand({}));
  await ecr.send(new DescribeRepositoriesCommand({}));
  await fetch(`http://${sb.registryHost}/v2/`);
  const stats = await admin.stats();
  assert.is(stats.ecr.DescribeRepositories, 2);
  assert.is(stats.registry.GET, 1);

  await admin.setFaults({ throttle: { operation: 'DescribeRepositories', count: 1 } });
  const err = await expectAwsError(client(sb.endpoint, 1).send(new DescribeRepositoriesCommand({})), 'ThrottlingException');
  assert.is(err.message, 'Rate exceeded');
  assert.is(err.$metadata.httpStatusCode, 400);
  await admin.setFaults({ throttle: { operation: 'DescribeRepositories', count: 1 } });
  const retried = await ecr.send(new DescribeRepositoriesCommand({}));
  assert.is(retried.$metadata.attempts, 2, 'the SDK retried the throttled call');

  await admin.setFaults({ registryOutage: { requests: 2 } });
  assert.is((await fetch(`http://${sb.registryHost}/v2/`)).status, 503);
  assert.is((await fetch(`http://${sb.registryHost}/v2/`)).status, 503);
  assert.is((await fetch(`http://${sb.registryHost}/v2/`)).status, 401);
  await admin.setFaults({ registryOutage: { seconds: 30, drop: true } });
  await fetch(`http://${sb.registryHost}/v2/`).then(
    () => assert.unreachable('connection should drop'),
    (e) => assert.ok(e instanceof Error),
  );
  await admin.clearFaults();
  assert.is((await fetch(`http://${sb.registryHost}/v2/`)).status, 401);
});

test('restart keeps repositories, settings, lifecycle policies and images', async () => {
  await sb.stop();
  sb = await startSandbox({ dataDir, ...ports, ecs: false, log: () => {} });
  ecr = client(sb.endpoint);
  const repos = (await ecr.send(new DescribeRepositoriesCommand({}))).repositories!;
  assert.equal(repos.map((r) => [r.repositoryName, r.imageTagMutability]), [['aged', 'MUTABLE'], ['demo/api', 'MUTABLE'], ['imm', 'IMMUTABLE'], ['life', 'MUTABLE']]);
  assert.ok((await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'life' }))).lifecyclePolicyText);
  const details = (await ecr.send(new DescribeImagesCommand({ repositoryName: 'demo/api', imageIds: [{ imageTag: 'v1' }] }))).imageDetails!;
  assert.is(details[0].imageDigest, v1Digest);
  const ref = `${sb.registryHost}/demo/api:v1`;
  await mustDk(['rmi', ref]);
  await mustDk(['pull', ref]);
  const inspected = await mustDk(['image', 'inspect', '--format', '{{index .RepoDigests 0}}', ref]);
  assert.is(inspected.stdout.trim(), `${sb.registryHost}/demo/api@${v1Digest}`);
});

test.run();
