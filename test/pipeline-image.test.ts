// Integration: build-image and push driven through the real scripts, against a sandbox (ECR API +
// real registry) on free ports, the real Docker engine and a temporary clone of this workspace.
// Asserts on the world: the image in the engine and in ECR, the repository's settings, the counters
// of the registry, the temporary DOCKER_CONFIG, and that no output carries the registry password.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeImagesCommand, DescribeRepositoriesCommand, ECRClient, GetLifecyclePolicyCommand } from '@aws-sdk/client-ecr';
import { lifecyclePolicyFor, samePolicy } from '../libs/ferry/aws/src/ecr.ts';
import { cloneWorkspace, git } from '../libs/ferry/core/src/testing/workspace.ts';
import { startSandbox, SANDBOX_CREDENTIALS, type Sandbox } from '../tools/sandbox/src/index.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'ferry-pipeline-image-sb-'));
// The scripts' TMPDIR: the temporary DOCKER_CONFIG is created here, so we can see it is gone afterwards.
const childTmp = mkdtempSync(join(tmpdir(), 'ferry-pipeline-image-tmp-'));
const outputs: string[] = [];
let sb: Sandbox;
let ws: { root: string; cleanup: () => void };
let ecr: ECRClient;
/** Registry hosts images were tagged for, so cleanup removes exactly this test's images. */
const registryHosts = new Set<string>();
let graphComputed = false;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** The `--json` document. */
  doc: any;
}

function runScript(name: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ws.root, 'scripts', `${name}.ts`), '--project', 'api', '--env', 'local', '--json', ...args], {
      cwd: ws.root,
      env: {
        ...process.env,
        NX_DAEMON: 'false',
        TMPDIR: childTmp,
        NO_COLOR: '1',
        FORCE_COLOR: '0',
        // As when Nx runs the target: reuse the project graph the first run computed (the tests below
        // never change imports), instead of recomputing it for every run.
        ...(graphComputed ? { NX_TASK_TARGET_PROJECT: 'api' } : {}),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      graphComputed ||= code === 0;
      outputs.push(stdout, stderr);
      let doc: any;
      try {
        doc = JSON.parse(stdout);
      } catch {
        doc = undefined;
      }
      resolve({ code: code ?? 1, stdout, stderr, doc });
    });
  });
}

const show = (r: Run) => `exit ${r.code}\nstdout: ${r.stdout.slice(-3000)}\nstderr: ${r.stderr.slice(-3000)}`;
const result = (r: Run) => r.doc?.results?.[0];
const imageRecord = () => JSON.parse(readFileSync(join(ws.root, 'apps/api/dist/ferry/local/image.json'), 'utf8'));
const docker = (args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
function localImageId(ref: string): string | null {
  try {
    return docker(['image', 'inspect', '--format', '{{.Id}}', ref]).trim();
  } catch {
    return null;
  }
}
const registryWrites = () => {
  const r = sb.stats().registry;
  return (r.PUT ?? 0) + (r.POST ?? 0) + (r.PATCH ?? 0);
};
const tempDockerConfigs = () => readdirSync(childTmp).filter((n) => n.startsWith('ferry-docker-config-'));

function setRegistry(host: string) {
  registryHosts.add(host);
  const file = join(ws.root, 'ferry.json');
  const cfg = JSON.parse(readFileSync(file, 'utf8'));
  Object.assign(cfg.environments.local, { endpoint: sb.endpoint, registry: host });
  writeFileSync(file, `${JSON.stringify(cfg, null, 2)}\n`);
  git(ws.root, 'commit', '-q', '-am', `sandbox at ${sb.endpoint}, registry ${host}`);
}

test.before(async () => {
  sb = await startSandbox({ dataDir, port: 0, registryPort: 0, ecs: false, lifecycleIntervalMs: 3_600_000, log: () => {} });
  ecr = new ECRClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
  ws = cloneWorkspace(repoRoot);
  git(ws.root, 'config', 'commit.gpgsign', 'false');
  // The root .gitignore has `node_modules/`, which does not match the symlink the clone helper makes.
  writeFileSync(join(ws.root, '.git/info/exclude'), 'node_modules\n');
  setRegistry(sb.registryHost);
  // The image copies the esbuild bundle (what `nx run api:build` makes; build-image depends on it).
  execFileSync(process.execPath, ['tools/build-app.mjs', 'apps/api', '--entry', 'src/main.ts'], { cwd: ws.root, stdio: 'pipe' });
});

test.after(async () => {
  if (sb) {
    // Images this test built are named after the sandbox's random registry port: remove exactly those.
    const refs = docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}']).split('\n').filter((r) => [...registryHosts].some((h) => r.startsWith(`${h}/`)));
    if (refs.length) execFileSync('docker', ['rmi', '-f', ...refs], { stdio: 'ignore' });
    await sb.stop({ removeTasks: true });
  }
  ws?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(childTmp, { recursive: true, force: true });
});

let firstTag = '';
let firstDigest = '';

test('build-image --dry-run prints the docker command and builds nothing', async () => {
  const r = await runScript('build-image', ['--dry-run']);
  assert.is(r.code, 0, show(r));
  const data = result(r).data;
  assert.is(data.action, 'build');
  assert.ok(Array.isArray(data.command) && data.command.includes('--build-arg'), JSON.stringify(data));
  assert.ok(data.command.includes(`FERRY_CONTENT_TAG=${data.tag}`));
  assert.is(localImageId(data.imageRef), null, 'nothing was built');
});

test('build-image builds the api image with labels and records it', async () => {
  const r = await runScript('build-image', []);
  assert.is(r.code, 0, show(r));
  const res = result(r);
  assert.is(res.data.action, 'build', show(r));
  const rec = imageRecord();
  firstTag = rec.tag;
  assert.match(rec.tag, /^ft-[0-9a-f]{20}$/);
  assert.is(rec.imageRef, `${sb.registryHost}/ferry-sample/api:${rec.tag}`);
  assert.ok(rec.builtAt);
  const id = localImageId(rec.imageRef);
  assert.ok(id, 'the image is in the engine');
  assert.is(rec.imageId, id);
  const labels = JSON.parse(docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', rec.imageRef]));
  assert.is(labels['ferry.content-tag'], rec.tag);
  assert.is(labels['ferry.project'], 'api');
  assert.is(labels['org.opencontainers.image.revision'], git(ws.root, 'rev-parse', 'HEAD').trim());
  const env: string[] = JSON.parse(docker(['image', 'inspect', '--format', '{{json .Config.Env}}', rec.imageRef]));
  assert.ok(env.includes(`FERRY_CONTENT_TAG=${rec.tag}`), env.join(' '));
});

test('push creates an IMMUTABLE repository with the lifecycle policy and pushes the image', async () => {
  sb.resetStats();
  const r = await runScript('push', []);
  assert.is(r.code, 0, show(r));
  const rec = imageRecord();
  assert.match(rec.digest, /^sha256:[0-9a-f]{64}$/);
  firstDigest = rec.digest;
  assert.ok(registryWrites() > 0, 'layers and manifest were uploaded');

  const repo = (await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['ferry-sample/api'] }))).repositories![0];
  assert.is(repo.imageTagMutability, 'IMMUTABLE');
  assert.is(repo.imageScanningConfiguration?.scanOnPush, true);
  const policy = await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'ferry-sample/api' }));
  assert.ok(samePolicy(policy.lifecyclePolicyText, JSON.stringify(lifecyclePolicyFor({ keepTaggedImages: 30, untaggedExpireDays: 1 }))), policy.lifecyclePolicyText);
  const images = await ecr.send(new DescribeImagesCommand({ repositoryName: 'ferry-sample/api', imageIds: [{ imageTag: firstTag }] }));
  assert.is(images.imageDetails?.[0]?.imageDigest, rec.digest);

  assert.equal(tempDockerConfigs(), [], 'the temporary DOCKER_CONFIG is gone');
});

test('a second build-image + push does nothing: no build, no registry writes', async () => {
  // Without the local image, only the registry check can make build-image skip.
  docker(['rmi', '-f', `${sb.registryHost}/ferry-sample/api:${firstTag}`]);
  sb.resetStats();
  const b = await runScript('build-image', []);
  assert.is(b.code, 0, show(b));
  assert.is(result(b).data.action, 'skip');
  assert.match(result(b).summary, /already in the registry, nothing to build/);
  assert.is(localImageId(`${sb.registryHost}/ferry-sample/api:${firstTag}`), null, 'no build ran');
  const p = await runScript('push', []);
  assert.is(p.code, 0, show(p));
  assert.ok(p.doc.events.some((e: any) => e.kind === 'step' && e.step === 'push' && e.status === 'skip' && /already pushed/.test(e.message)), show(p));
  assert.is(registryWrites(), 0, JSON.stringify(sb.stats()));
  assert.is(sb.stats().ecr.PutLifecyclePolicy ?? 0, 0, 'the policy is unchanged, not rewritten');
  assert.is(imageRecord().digest, firstDigest);
});

test('no output contains the registry password', () => {
  const password = sb.ctx.registryAuth.password;
  const token = Buffer.from(`AWS:${password}`).toString('base64');
  assert.ok(password.length >= 8);
  for (const text of outputs) {
    assert.not.ok(text.includes(password), 'password leaked');
    assert.not.ok(text.includes(token), 'token leaked');
  }
});

test('Docker not running: nothing to build needs no engine; a build gets DOCKER_UNAVAILABLE with the next step', async () => {
  const noDocker = { DOCKER_HOST: `unix://${join(childTmp, 'no-docker.sock')}` };
  // The tag is in the registry: build-image has nothing to do and does not ask the engine.
  const skip = await runScript('build-image', [], noDocker);
  assert.is(skip.code, 0, show(skip));
  assert.is(skip.doc.results[0].data.buildSkipped, 'in-registry', show(skip));
  // New content (an uncommitted file: the sandbox allows a dirty tag): now a build is needed.
  const marker = join(ws.root, 'apps/api/src/docker-down-marker.ts');
  writeFileSync(marker, 'export const dockerDown = 1;\n');
  try {
    const r = await runScript('build-image', [], noDocker);
    assert.is(r.code, 1, show(r));
    assert.is(r.doc.error.code, 'DOCKER_UNAVAILABLE', show(r));
    assert.match(r.doc.error.message, /Docker engine not reachable/);
    assert.match(r.doc.error.message, /npm run sandbox:up/);
  } finally {
    rmSync(marker, { force: true });
  }
});

test('a Dockerfile with a failing RUN: BUILD_FAILED naming the step and showing its output', async () => {
  const dockerfile = join(ws.root, 'apps/api/Dockerfile');
  const original = readFileSync(dockerfile, 'utf8');
  writeFileSync(dockerfile, original.replace('COPY dist/ /app/', 'COPY dist/ /app/\nRUN echo "checking the bundle" && ls /app/definitely-missing'));
  try {
    const r = await runScript('build-image', []);
    assert.is(r.code, 1, show(r));
    assert.is(r.doc.error.code, 'BUILD_FAILED', show(r));
    assert.match(r.doc.error.message, /RUN echo "checking the bundle" && ls \/app\/definitely-missing/);
    assert.ok(r.doc.error.details.some((l: string) => l.includes('checking the bundle')), JSON.stringify(r.doc.error.details));
  } finally {
    writeFileSync(dockerfile, original);
  }
});

test('registry unreachable: push retries, then REGISTRY_UNREACHABLE naming the registry', async () => {
  // A new content tag (so there is something to push), and a registry address where nothing listens.
  writeFileSync(join(ws.root, 'apps/api/src/pipeline-image-marker.ts'), 'export const marker = 1;\n');
  git(ws.root, 'add', '-A');
  git(ws.root, 'commit', '-q', '-m', 'new content');
  const dead = `127.0.0.1:${await deadPort()}`;
  setRegistry(dead);
  try {
    const b = await runScript('build-image', []);
    assert.is(b.code, 0, show(b));
    assert.is.not(imageRecord().tag, firstTag);
    const p = await runScript('push', []);
    assert.is(p.code, 1, show(p));
    assert.is(p.doc.error.code, 'REGISTRY_UNREACHABLE', show(p));
    assert.ok(p.doc.error.message.includes(dead), p.doc.error.message);
    assert.ok(p.doc.events.filter((e: any) => e.kind === 'warn' && /retrying/.test(e.message)).length >= 1, 'it retried');
    assert.equal(tempDockerConfigs(), [], 'the temporary DOCKER_CONFIG is gone after a failure too');
  } finally {
    setRegistry(sb.registryHost);
  }
});

test('a short registry outage and ECR throttling are ridden out', async () => {
  // The content from the previous test is not pushed yet; build it for the real registry again.
  const b = await runScript('build-image', []);
  assert.is(b.code, 0, show(b));
  const rec = imageRecord();
  assert.ok(rec.imageRef.startsWith(`${sb.registryHost}/`));
  sb.setFaults({
    registryOutage: { requests: 2 },
    throttle: [{ operation: 'DescribeImages', count: 2, service: 'ecr' }, { operation: 'GetAuthorizationToken', count: 2, service: 'ecr' }],
  });
  try {
    const p = await runScript('push', []);
    assert.is(p.code, 0, show(p));
    assert.ok(p.doc.events.some((e: any) => e.kind === 'warn' && /not reachable, retrying/.test(e.message)), 'the outage was retried');
    const pushed = await ecr.send(new DescribeImagesCommand({ repositoryName: 'ferry-sample/api', imageIds: [{ imageTag: rec.tag }] }));
    assert.is(pushed.imageDetails?.[0]?.imageDigest, imageRecord().digest);
    assert.equal(tempDockerConfigs(), []);
  } finally {
    sb.clearFaults();
  }
});

test('push refuses a record that no longer matches the workspace', async () => {
  const marker = join(ws.root, 'apps/api/src/pipeline-image-marker.ts');
  const original = readFileSync(marker, 'utf8');
  writeFileSync(marker, 'export const marker = 2;\n');
  try {
    const p = await runScript('push', []);
    assert.is(p.code, 1, show(p));
    assert.is(p.doc.error.code, 'USAGE', show(p));
    assert.match(p.doc.error.message, /out of date: its tag is ft-[0-9a-f]+ but the workspace's content tag is now ft-/);
  } finally {
    writeFileSync(marker, original);
  }
});

async function deadPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

test.run();
