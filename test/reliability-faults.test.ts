// Reliability under faults, with real parts: the sandbox's fault injection (throttling, registry
// outages, a restart of the AWS endpoint), real processes killed and interrupted, two deploys at
// once. Each test asserts on the world (service, tags, registry, HTTP through the load balancer,
// sandbox call counters). docs/reliability.md records what each one observed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchGetImageCommand, DescribeImagesCommand, PutImageCommand } from '@aws-sdk/client-ecr';
import { TagResourceCommand } from '@aws-sdk/client-ecs';
import { Fixture, requestLoop, server, STACK_LINE } from './reliability-support.ts';

const f = new Fixture('reliability-faults', 'steady', 'rel-faults');
const APP = f.app;
let tagV1 = '';
const observed: Record<string, unknown> = {};
const note = (k: string, v: unknown) => {
  observed[k] = v;
  if (process.env.FERRY_RELIABILITY_LOG) console.log(`[observed] ${k}: ${JSON.stringify(v)}`);
};
const lockOf = async () => (await f.tags((await f.describe()).serviceArn!))['ferry:lock'];

// The tests up to the crash loop check locks, signals and throttling, not traffic: until then the app
// has no containerPort, so ferry provisions no load balancer and a rollout does not wait for target
// health checks (ALB: HealthyThresholdCount passes an interval apart, at least 2 x 5 s, so ~10 s per
// rollout; docs/sandbox.md). The crash-loop test commits the full deploy.json: that deploy attaches
// the load balancer with UpdateService, and every test from there checks requests through it.
// Without a containerPort each task still needs its own port (tasks share the host network, and a
// rolling update runs two at once): the task definition sets PORT, which the sandbox replaces with a
// free host port (the PORT contract, docs/sandbox.md).
const noLoadBalancer = { containerPort: undefined, healthCheckPath: undefined, environment: { PORT: '8080' } };

test.before(async () => {
  await f.start({ [`apps/${APP}/deploy.json`]: f.deployJson(noLoadBalancer), [`apps/${APP}/server.js`]: server('v1') });
});
test.after(async () => {
  await f.stop();
});

test('chain flags: build-image and push accept the flags nx forwards to the whole chain; unknown flags are still usage errors', async () => {
  const chain = ['--timeout', '300', '--lock-wait', '5', '--no-rollback', '--junit', 'x.xml', '--allow-plaintext-secrets'];
  const b = await f.run('build-image', chain);
  assert.is(b.code, 0, b.out);
  tagV1 = /(ft-[0-9a-f]{8,})/.exec(b.out)![1];
  const p = await f.run('push', chain);
  assert.is(p.code, 0, p.out);
  const bad = await f.run('build-image', ['--definitely-not-a-flag']);
  assert.is(bad.code, 2, bad.out);
  assert.match(bad.out, /definitely-not-a-flag/);
  note('chainFlags', { buildImage: b.code, push: p.code, unknown: bad.code });
});

test('first deploy locks through the cluster tag and releases it; no lock tag is left', async () => {
  const out = await f.must('deploy-app');
  assert.match(out, /COMPLETED/);
  const svc = await f.describe();
  const clusterTags = await f.tags(svc.clusterArn!);
  assert.not.ok(Object.keys(clusterTags).some((k) => k.startsWith('ferry:lock')), JSON.stringify(clusterTags));
  assert.is(await lockOf(), undefined);
  assert.is(f.sb.stats().ecs.UntagResource! >= 1, true, 'the lock was removed with UntagResource');
});

test('two deploys at once: one rolls out, the other is refused naming the holder; one UpdateService', async () => {
  f.sb.resetStats();
  const a = f.spawn('deploy-app', ['--force'], { env: { FERRY_DEPLOYER: 'alice@ci-1' } });
  const b = f.spawn('deploy-app', ['--force'], { env: { FERRY_DEPLOYER: 'bob@ci-2' } });
  const [ra, rb] = await Promise.all([a.done, b.done]);
  const ok = [ra, rb].filter((r) => r.code === 0);
  const refused = [ra, rb].filter((r) => r.code !== 0);
  assert.is(ok.length, 1, `${ra.out}\n----\n${rb.out}`);
  assert.is(refused.length, 1);
  assert.match(refused[0].out, /another deploy holds the lock of service steady: (alice@ci-1|bob@ci-2) pid \d+/);
  assert.match(refused[0].out, /--lock-wait/);
  assert.is(f.sb.stats().ecs.UpdateService, 1, JSON.stringify(f.sb.stats().ecs));
  assert.is(await lockOf(), undefined);
  note('twoAtOnce', { codes: [ra.code, rb.code], updateService: 1, refused: /holds the lock[^.]*/.exec(refused[0].out)?.[0] });
});

test('--lock-wait: the second deploy waits, then rolls out after the first; never two rollouts at once', async () => {
  f.sb.resetStats();
  const a = f.spawn('deploy-app', ['--force', '--lock-wait', '120'], { env: { FERRY_DEPLOYER: 'alice@ci-1' } });
  const b = f.spawn('deploy-app', ['--force', '--lock-wait', '120'], { env: { FERRY_DEPLOYER: 'bob@ci-2' } });
  const [ra, rb] = await Promise.all([a.done, b.done]);
  assert.is(ra.code, 0, ra.out);
  assert.is(rb.code, 0, rb.out);
  assert.ok([ra, rb].some((r) => /waiting for the lock of steady/.test(r.out)), 'one of them waited');
  for (const r of [ra, rb]) assert.not.match(r.out, /superseded/);
  assert.is(f.sb.stats().ecs.UpdateService, 2);
  const svc = await f.describe();
  assert.is(svc.deployments!.length, 1);
  assert.is(svc.deployments![0].rolloutState, 'COMPLETED');
  note('lockWait', { codes: [ra.code, rb.code], updateService: 2, superseded: false });
});

test('SIGTERM while watching: exit 130, rollout left running and said so, lock released; a rerun converges', async () => {
  const before = (await f.describe()).taskDefinition;
  const r = await f.run('deploy-app', ['--force'], {
    onOutput: (out, child) => {
      if (/watching deployment/.test(out) && !child.killed) child.kill('SIGTERM');
    },
  });
  assert.is(r.code, 130, r.out);
  assert.match(r.out, /ECS carries on with the rollout/);
  assert.match(r.out, /nx run steady:deploy-app/);
  assert.is(await lockOf(), undefined, 'lock released on interrupt');
  const svc = await f.describe();
  assert.is.not(svc.taskDefinition, before, 'the service targets the new revision (not rolled back, consistent)');
  const again = await f.must('deploy-app');
  assert.match(again, /already rolling out|up to date/);
  const settled = await f.describe();
  assert.is(settled.taskDefinition, svc.taskDefinition);
  assert.is(settled.deployments!.length, 1);
  note('sigterm', { code: r.code, lockAfter: null, rerun: 'converged' });
});

test('a killed deploy leaves its lock: refused with owner and expiry, then taken over after expiry (--lock-wait)', async () => {
  const r = await f.run('deploy-app', ['--force'], {
    env: { FERRY_DEPLOYER: 'killed@ci-3', FERRY_LOCK_TTL_MS: '15000' },
    onOutput: (out, child) => {
      if (/watching deployment/.test(out) && !child.killed) child.kill('SIGKILL');
    },
  });
  assert.is(r.code, 137, r.out);
  const stale = await lockOf();
  assert.match(stale ?? '', /killed@ci-3 pid \d+$/);
  const refused = await f.run('deploy-app', ['--force']);
  assert.is(refused.code, 1, refused.out);
  assert.match(refused.out, /holds the lock of service steady: killed@ci-3 pid \d+ since .* expires in \d+s/);
  const took = await f.run('deploy-app', ['--force', '--lock-wait', '60']);
  assert.is(took.code, 0, took.out);
  assert.match(took.out, /taking over the expired lock of killed@ci-3/);
  assert.is(await lockOf(), undefined);
  assert.is((await f.describe()).deployments!.length, 1);
  note('killedHolder', { killCode: r.code, refusedCode: refused.code, takeover: took.code });
});

test('a live foreign lock: deploy-app and rollback refused; --force-unlock (break-glass) removes it and deploys', async () => {
  const svc = await f.describe();
  const now = Date.now();
  await f.ecs.send(new TagResourceCommand({ resourceArn: svc.serviceArn!, tags: [{ key: 'ferry:lock', value: `deadbeefdeadbeef ${now} ${now + 3_600_000} mallory@elsewhere pid 1` }] }));
  const refused = await f.run('deploy-app', ['--force']);
  assert.is(refused.code, 1, refused.out);
  assert.match(refused.out, /mallory@elsewhere pid 1/);
  const rb = await f.run('rollback', ['--to', '1']);
  assert.is(rb.code, 1, rb.out);
  assert.match(rb.out, /holds the lock of service steady: mallory@elsewhere/, 'rollback takes the same lock');
  const forced = await f.run('deploy-app', ['--force', '--force-unlock']);
  assert.is(forced.code, 0, forced.out);
  assert.match(forced.out, /--force-unlock: removing the lock of mallory@elsewhere/);
  assert.is(await lockOf(), undefined);
});

test('ECS throttling on UpdateService and DescribeServices: retried, the deploy succeeds', async () => {
  f.sb.resetStats();
  f.sb.setFaults({ throttle: [{ operation: 'UpdateService', count: 2, service: 'ecs' }, { operation: 'DescribeServices', count: 4, service: 'ecs' }] });
  try {
    const out = await f.must('deploy-app', ['--force']);
    assert.match(out, /COMPLETED/);
  } finally {
    f.sb.clearFaults();
  }
  const calls = f.sb.stats().ecs;
  assert.is(calls.UpdateService, 3, `2 throttled + 1: ${JSON.stringify(calls)}`);
  note('throttleSdk', { updateService: calls.UpdateService, describeServices: calls.DescribeServices });
});

test('throttling reaching the watch loop: it backs off (2s, 4s) instead of hammering', async () => {
  let faultAt = 0;
  let callsAtFault = 0;
  const r = await f.run('deploy-app', ['--force', '--verbose'], {
    env: { AWS_MAX_ATTEMPTS: '1' },
    onOutput: (out) => {
      if (!faultAt && /watching deployment/.test(out)) {
        faultAt = Date.now();
        f.sb.resetStats();
        f.sb.setFaults({ throttle: { operation: 'DescribeServices', count: 2, service: 'ecs' } });
      }
    },
  });
  f.sb.clearFaults();
  const elapsed = (Date.now() - faultAt) / 1000;
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /DescribeServices throttled; retrying in 2s/);
  assert.match(r.out, /retrying in 4s/);
  const calls = f.sb.stats().ecs.DescribeServices ?? 0;
  callsAtFault = calls;
  // At most one poll a second on average, and the two throttled polls spread over >= 6 s.
  assert.ok(elapsed >= 6, `elapsed ${elapsed}s`);
  assert.ok(calls <= elapsed + 3, `${calls} DescribeServices in ${elapsed}s`);
  note('throttleLoop', { describeServices: callsAtFault, seconds: Math.round(elapsed) });
});

test('crash-looping new version with minimumHealthyPercent 100: rolled back; a request loop through the LB sees no failure', async () => {
  f.commit({ [`apps/${APP}/deploy.json`]: f.deployJson({ deployment: { timeoutSeconds: 120, minimumHealthyPercent: 100, maximumPercent: 200, circuitBreaker: { enable: true, rollback: true } } }) }, 'min 100');
  await f.buildAndPush();
  await f.must('deploy-app');
  f.commit({ [`apps/${APP}/server.js`]: server('v2-broken', { crash: true }) }, 'broken');
  await f.buildAndPush();
  const url = await f.lbUrl();
  const loop = requestLoop(`${url}/version`, (status) => status === 200);
  const r = await f.run('deploy-app');
  const { ok, failures } = await loop.stop();
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /Rolled back: steady:\d+ is live again/);
  assert.equal(failures, [], `${failures.length} failed of ${ok + failures.length}`);
  assert.ok(ok > 20, `only ${ok} requests`);
  const v = await (await fetch(`${url}/version`)).json() as { version: string };
  assert.is(v.version, 'v1');
  note('crashLoop', { requests: ok + failures.length, failed: failures.length, exit: r.code });
});

test('failing container health checks: rolled back, no failed request through the LB', async () => {
  f.commit(
    {
      [`apps/${APP}/server.js`]: server('v3-unhealthy'),
      [`apps/${APP}/deploy.json`]: f.deployJson({
        deployment: { timeoutSeconds: 120, minimumHealthyPercent: 100, maximumPercent: 200, circuitBreaker: { enable: true, rollback: true } },
        containerHealthCheck: { command: ['CMD', 'node', '-e', 'process.exit(1)'], interval: 5, timeout: 2, retries: 1, startPeriod: 0 },
      }),
    },
    'unhealthy',
  );
  await f.buildAndPush();
  const url = await f.lbUrl();
  const loop = requestLoop(`${url}/version`, (status, body) => status === 200 && (JSON.parse(body) as { version: string }).version === 'v1');
  const r = await f.run('deploy-app');
  const { ok, failures } = await loop.stop();
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /health check/i);
  assert.match(r.out, /Rolled back|rolled the service back/);
  assert.equal(failures, [], `${failures.length} failed of ${ok + failures.length}`);
  assert.ok(ok > 20, `only ${ok} requests`);
  note('unhealthy', { requests: ok + failures.length, failed: failures.length, exit: r.code });
  // Back to a deployable state for the tests below.
  f.commit({ [`apps/${APP}/server.js`]: server('v4'), [`apps/${APP}/deploy.json`]: f.deployJson() }, 'v4');
});

test('the AWS endpoint restarts mid-deploy: a clear lost-connection error (no stack trace); a rerun converges', async () => {
  await f.buildAndPush();
  let stopping: Promise<void> | undefined;
  const r = await f.run('deploy-app', [], {
    env: { FERRY_LOCK_TTL_MS: '6000', AWS_MAX_ATTEMPTS: '2' },
    onOutput: (out) => {
      if (!stopping && /watching deployment/.test(out)) stopping = f.sb.stop();
    },
  });
  await stopping;
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /Cannot reach the sandbox's AWS endpoint http:\/\/127\.0\.0\.1:\d+/);
  assert.not.match(r.out, STACK_LINE);
  await f.startSandbox();
  const again = await f.run('deploy-app', ['--lock-wait', '30']);
  assert.is(again.code, 0, again.out);
  const svc = await f.describe();
  assert.is(svc.deployments!.length, 1);
  assert.is(svc.deployments![0].rolloutState, 'COMPLETED');
  assert.ok((await f.liveImage()).includes(':ft-'));
  const v = await (await fetch(`${await f.lbUrl()}/version`)).json() as { version: string };
  assert.is(v.version, 'v4');
  note('endpointRestart', { firstExit: r.code, rerun: again.code, version: v.version });
});

test('registry outage mid-push: retried with backoff, then a clear error; no half-published tag; the next run pushes', async () => {
  f.commit({ [`apps/${APP}/server.js`]: server('v5') }, 'v5');
  const b = await f.must('build-image');
  const tag = /(ft-[0-9a-f]{8,})/.exec(b)![1];
  let outageAt = 0;
  const r = await f.run('push', ['--verbose'], {
    onOutput: (out) => {
      // Once docker starts talking to the registry for the push (login succeeded), the registry goes away.
      if (!outageAt && /push: start|Preparing|Waiting|Pushing/.test(out)) {
        outageAt = Date.now();
        f.sb.setFaults({ registryOutage: { seconds: 60, drop: true } });
      }
    },
  });
  f.sb.clearFaults();
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /REGISTRY_UNREACHABLE|Cannot reach the registry/);
  assert.match(r.out, /retrying/);
  assert.not.match(r.out, STACK_LINE);
  let missing = '';
  try {
    await f.ecr.send(new DescribeImagesCommand({ repositoryName: `${f.cluster}/${APP}`, imageIds: [{ imageTag: tag }] }));
  } catch (e) {
    missing = (e as Error).name;
  }
  assert.is(missing, 'ImageNotFoundException', 'ECR does not show the tag');
  const again = await f.run('push');
  assert.is(again.code, 0, again.out);
  const shown = await f.ecr.send(new DescribeImagesCommand({ repositoryName: `${f.cluster}/${APP}`, imageIds: [{ imageTag: tag }] }));
  assert.ok(shown.imageDetails?.[0]?.imageDigest?.startsWith('sha256:'));
  note('registryOutage', { firstExit: r.code, describeImages: missing, rerun: again.code });
});

test('immutable tags: a different image under an existing content tag is refused and ferry says so', async () => {
  f.commit({ [`apps/${APP}/server.js`]: server('v6') }, 'v6');
  const b = await f.must('build-image');
  const tag = /(ft-[0-9a-f]{8,})/.exec(b)![1];
  const repositoryName = `${f.cluster}/${APP}`;
  // Another pipeline wins the race: the v1 manifest appears under v6's tag while ferry's login is retried.
  const v1 = await f.ecr.send(new BatchGetImageCommand({ repositoryName, imageIds: [{ imageTag: tagV1 }] }));
  const manifest = v1.images![0].imageManifest!;
  let raced: Promise<unknown> | undefined;
  f.sb.setFaults({ registryOutage: { requests: 2 } });
  const r = await f.run('push', [], {
    onOutput: (out) => {
      if (!raced && /retrying/.test(out)) raced = f.ecr.send(new PutImageCommand({ repositoryName, imageManifest: manifest, imageManifestMediaType: v1.images![0].imageManifestMediaType, imageTag: tag }));
    },
  });
  f.sb.clearFaults();
  await raced;
  assert.ok(raced, `the race was not staged:\n${r.out}`);
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /the tag already exists and the repository is IMMUTABLE/);
  const after = await f.ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: tag }] }));
  assert.is(after.imageDetails![0].imageDigest, v1.images![0].imageId!.imageDigest, 'the tag was not overwritten');
  note('immutable', { exit: r.code, digestKept: true });
});

test('deployment history: who, which tag and git revision, when, result; rollback uses the previous completed deploy', async () => {
  const h = await f.run('history', ['--json']);
  assert.is(h.code, 0, h.out);
  const doc = JSON.parse(h.out.slice(h.out.indexOf('{')));
  const entries = doc.results?.[0]?.data?.entries ?? doc.data?.entries ?? doc.result?.data?.entries;
  assert.ok(Array.isArray(entries) && entries.length >= 3, h.out);
  const show = JSON.stringify(entries, null, 1);
  const results = entries.map((e: { result: string }) => e.result);
  assert.ok(results.includes('completed'), show);
  assert.ok(results.includes('failed'), show);
  assert.ok(entries.some((e: { deployedBy?: string }) => /^(alice@ci-1|bob@ci-2|killed@ci-3)$/.test(e.deployedBy ?? '')), show);
  assert.ok(entries.every((e: { at?: string }) => !e.at || !Number.isNaN(Date.parse(e.at))), show);
  assert.ok(entries.some((e: { gitSha?: string }) => /^[0-9a-f]{40}/.test(e.gitSha ?? '')), show);
  assert.is(entries.filter((e: { live: boolean }) => e.live).length, 1, show);
  const table = await f.must('history');
  assert.match(table, /revision +tag +git +deployed by +at +result/);
  note('history', { rows: entries.length, results: [...new Set(results)] });
});

test.run();
