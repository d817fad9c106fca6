import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ECRClient } from '@aws-sdk/client-ecr';
import { MemoryReporter } from '@ferry/core';
import {
  configuredRegistry,
  decodeAuthorizationToken,
  describeRepositoriesAhead,
  partitionDnsSuffix,
  registryAccountOf,
  registryIdFor,
  ecrPort,
  ensureRepository,
  imageExists,
  lifecyclePolicyFor,
  registryHostOf,
  samePolicy,
  type EcrPort,
  type LifecyclePolicy,
} from './ecr.ts';

/** The ECR lifecycle rules (ECS-SEMANTICS §5) a policy must satisfy to be accepted by PutLifecyclePolicy. */
function policyProblems(p: LifecyclePolicy): string[] {
  const problems: string[] = [];
  const priorities = p.rules.map((r) => r.rulePriority);
  if (new Set(priorities).size !== priorities.length) problems.push('duplicate rulePriority');
  for (const r of p.rules) {
    const s = r.selection;
    if (s.tagStatus === 'tagged' && !s.tagPatternList?.length) problems.push('tagged without tagPatternList');
    if (s.tagStatus === 'untagged' && s.tagPatternList) problems.push('untagged with tagPatternList');
    if (s.countUnit && s.countType !== 'sinceImagePushed') problems.push('countUnit without sinceImagePushed');
    if (s.countType === 'sinceImagePushed' && s.countUnit !== 'days') problems.push('sinceImagePushed without days');
    if (s.tagStatus === 'any' && r.rulePriority !== Math.max(...priorities)) problems.push('any is not last');
    if (!Number.isInteger(s.countNumber) || s.countNumber < 1) problems.push('bad countNumber');
  }
  return problems;
}

const policyCases: Array<[Parameters<typeof lifecyclePolicyFor>[0], number, number]> = [
  [{}, 30, 1],
  [{ keepTaggedImages: 5 }, 5, 1],
  [{ untaggedExpireDays: 14 }, 30, 14],
  [{ keepTaggedImages: 1, untaggedExpireDays: 1 }, 1, 1],
];
for (const [settings, keep, days] of policyCases) {
  test(`lifecyclePolicyFor(${JSON.stringify(settings)}) keeps ${keep} tagged, expires untagged after ${days}d`, () => {
    const p = lifecyclePolicyFor(settings);
    assert.equal(policyProblems(p), []);
    const tagged = p.rules.find((r) => r.selection.tagStatus === 'tagged')!;
    const untagged = p.rules.find((r) => r.selection.tagStatus === 'untagged')!;
    assert.equal(tagged.selection, { tagStatus: 'tagged', tagPatternList: ['*'], countType: 'imageCountMoreThan', countNumber: keep });
    assert.equal(untagged.selection, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: days });
    assert.equal(tagged.action, { type: 'expire' });
  });
}

for (const bad of [{ keepTaggedImages: 0 }, { untaggedExpireDays: -1 }, { keepTaggedImages: 2.5 }]) {
  test(`lifecyclePolicyFor rejects ${JSON.stringify(bad)}`, () => {
    try {
      lifecyclePolicyFor(bad);
      assert.unreachable('should throw');
    } catch (e: any) {
      assert.is(e.code, 'CONFIG_INVALID');
      assert.match(e.message, /deploy\.json/);
    }
  });
}

test('samePolicy ignores key order and whitespace, not values', () => {
  const a = JSON.stringify(lifecyclePolicyFor({}));
  // Same policy, keys written in reverse order and pretty-printed.
  const reverseKeys = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(reverseKeys) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverseKeys(x)])) : v;
  const reordered = JSON.stringify(reverseKeys(JSON.parse(a)), null, 2);
  assert.is.not(reordered.replace(/\s/g, ''), a);
  assert.ok(samePolicy(a, reordered));
  assert.not.ok(samePolicy(a, JSON.stringify(lifecyclePolicyFor({ keepTaggedImages: 3 }))));
  assert.not.ok(samePolicy(a, undefined));
  assert.not.ok(samePolicy(a, 'not json'));
});

test('decodeAuthorizationToken splits at the first colon only', () => {
  const token = Buffer.from('AWS:pa:ss=word').toString('base64');
  assert.equal(decodeAuthorizationToken(token), { username: 'AWS', password: 'pa:ss=word' });
  assert.throws(() => decodeAuthorizationToken(Buffer.from('nocolon').toString('base64')), /not `user:password`/);
});

test('configuredRegistry: ferry.json registry, else the account ECR host for aws, else unknown', () => {
  assert.is(configuredRegistry({ kind: 'sandbox', registry: '127.0.0.1:5000', region: 'us-east-1' }), '127.0.0.1:5000');
  assert.is(configuredRegistry({ kind: 'aws', accountId: '123456789012', region: 'eu-west-1' }), '123456789012.dkr.ecr.eu-west-1.amazonaws.com');
  assert.is(configuredRegistry({ kind: 'sandbox', accountId: '000000000000', region: 'us-east-1' }), undefined);
  // The China partition's DNS suffix (https://docs.aws.amazon.com/general/latest/gr/ecr.html: api.ecr.cn-north-1.amazonaws.com.cn).
  assert.is(configuredRegistry({ kind: 'aws', accountId: '123456789012', region: 'cn-north-1' }), '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn');
  assert.is(partitionDnsSuffix('eu-west-1'), 'amazonaws.com');
});

test('registryId: the registry account when it is not the caller\'s, on every ECR call', async () => {
  assert.is(registryAccountOf({ kind: 'aws', registry: '999999999999.dkr.ecr.eu-west-1.amazonaws.com', accountId: '123456789012' }), '999999999999');
  assert.is(registryAccountOf({ kind: 'aws', accountId: '123456789012' }), '123456789012');
  assert.is(registryAccountOf({ kind: 'aws', registry: 'registry.example.com', accountId: '123456789012' }), undefined, 'not an ECR host: no account');
  assert.is(registryAccountOf({ kind: 'sandbox', accountId: '000000000000' }), undefined);
  assert.is(configuredRegistry({ kind: 'aws', region: 'eu-west-1', accountId: '123456789012', registryId: '999999999999' }), '999999999999.dkr.ecr.eu-west-1.amazonaws.com', 'registryId names the host');
  assert.is(configuredRegistry({ kind: 'sandbox', region: 'us-east-1', accountId: '000000000000', registryId: '111111111111' }), undefined, 'sandbox: from GetAuthorizationToken');
  assert.is(registryAccountOf({ kind: 'sandbox', accountId: '000000000000', registryId: '111111111111' }), '111111111111', 'registryId: the sandbox\'s extra registry');
  assert.is(registryAccountOf({ kind: 'aws', registry: '999999999999.dkr.ecr.eu-west-1.amazonaws.com', accountId: '123456789012', registryId: '555555555555' }), '555555555555', 'registryId wins');
  assert.is(registryIdFor('999999999999', '123456789012'), '999999999999');
  assert.is(registryIdFor('123456789012', '123456789012'), undefined);
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  const client = {
    send: async (c: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ name: c.constructor.name, input: c.input });
      return { repositories: [], imageDetails: [], authorizationData: [] };
    },
  } as unknown as ECRClient;
  const port = ecrPort(client, { registryId: async () => '999999999999' });
  await port.describeImages({ repositoryName: 'api', imageIds: [{ imageTag: 't' }] });
  await port.describeRepositories({ repositoryNames: ['api'] });
  await port.createRepository({ repositoryName: 'api' });
  await port.getLifecyclePolicy({ repositoryName: 'api' });
  await port.putLifecyclePolicy({ repositoryName: 'api', lifecyclePolicyText: '{}' });
  await port.batchGetImage({ repositoryName: 'api', imageIds: [{ imageTag: 't' }] });
  await port.putImage({ repositoryName: 'api', imageManifest: '{}', imageTag: 't' });
  await port.getAuthorizationToken();
  // Model: each of these requests has a `registryId` member; GetAuthorizationToken takes `registryIds`.
  for (const c of sent.slice(0, -1)) assert.is(c.input.registryId, '999999999999', c.name);
  assert.equal(sent.at(-1)!.input, { registryIds: ['999999999999'] });
  const same = ecrPort(client, { registryId: async () => undefined });
  await same.describeRepositories({ repositoryNames: ['api'] });
  assert.not.ok('registryId' in sent.at(-1)!.input, 'the caller\'s own registry: no registryId');
});

test('rememberFound: concurrent lookups of one tag make one call; a found image is not asked for again, a missing one is', async () => {
  const sent: string[] = [];
  const client = {
    send: async (c: { input: { imageIds?: { imageTag?: string }[] } }) => {
      const tag = c.input.imageIds?.[0]?.imageTag ?? '';
      sent.push(tag);
      await new Promise((r) => setTimeout(r, 5));
      return { imageDetails: tag === 'here' ? [{ imageDigest: 'sha256:1', imageTags: [tag] }] : [] };
    },
  } as unknown as ECRClient;
  const port = ecrPort(client, { rememberFound: true });
  const ask = (tag: string) => port.describeImages({ repositoryName: 'api', imageIds: [{ imageTag: tag }] });
  const [a, b, c] = await Promise.all([ask('here'), ask('here'), ask('here')]);
  assert.is(a, b);
  assert.is(b, c);
  await ask('here');
  assert.equal(sent, ['here'], 'one call for three concurrent lookups and a later one');
  await Promise.all([ask('gone'), ask('gone')]);
  await ask('gone');
  assert.equal(sent, ['here', 'gone', 'gone'], 'a tag not found is asked for again by a later lookup');
});

test('rememberFound: repositories described together answer a later single describe, also while the call is under way', async () => {
  // ECR's DescribeRepositories takes up to 100 names and fails the whole call with
  // RepositoryNotFoundException when one is missing (ECR model: DescribeRepositoriesRequest,
  // RepositoryNameList max 100; API_DescribeRepositories).
  const sent: string[] = [];
  const client = {
    send: async (c: { input: { repositoryNames?: string[] } }) => {
      const names = c.input.repositoryNames ?? [];
      sent.push(names.join(','));
      await new Promise((r) => setTimeout(r, 5));
      if (names.includes('gone')) throw Object.assign(new Error("The repository with name 'gone' does not exist"), { name: 'RepositoryNotFoundException' });
      return { repositories: names.map((n) => ({ repositoryName: n, imageTagMutability: 'IMMUTABLE' })) };
    },
  } as unknown as ECRClient;
  const port = ecrPort(client, { rememberFound: true });
  const one = (name: string) => port.describeRepositories({ repositoryNames: [name] });
  describeRepositoriesAhead(port, ['api', 'web', 'api']);
  const [api, web] = await Promise.all([one('api'), one('web')]);
  assert.equal([api.repositories?.[0].repositoryName, web.repositories?.[0].repositoryName], ['api', 'web']);
  assert.equal(sent, ['api,web'], 'one call for both, the duplicate name asked once');
  await one('worker');
  assert.equal(sent, ['api,web', 'worker'], 'a repository not among them is asked for');
  describeRepositoriesAhead(port, ['worker', 'gone']);
  const worker = await one('worker');
  assert.is(worker.repositories?.[0].repositoryName, 'worker');
  assert.equal(sent, ['api,web', 'worker', 'worker,gone', 'worker'], 'after a failed call each asks on its own');
  const plain = ecrPort(client);
  describeRepositoriesAhead(plain, ['a', 'b']);
  await plain.describeRepositories({ repositoryNames: ['a'] });
  assert.equal(sent.slice(-2), ['a,b', 'a'], 'without rememberFound nothing is kept');
});

test('registryHostOf strips scheme and slash', () => {
  assert.is(registryHostOf('https://123.dkr.ecr.eu-west-1.amazonaws.com'), '123.dkr.ecr.eu-west-1.amazonaws.com');
  assert.is(registryHostOf('http://127.0.0.1:5000/'), '127.0.0.1:5000');
});

/** An in-memory ECR that throws the same error names as the real one. */
function fakeEcr(initial: { repos?: Record<string, { mutability: string; policy?: string; tags?: Record<string, string> }> } = {}) {
  const repos = structuredClone(initial.repos ?? {});
  const calls: string[] = [];
  const err = (name: string) => Object.assign(new Error(name), { name });
  const port: EcrPort = {
    async describeRepositories({ repositoryNames }) {
      calls.push('describeRepositories');
      const name = repositoryNames![0];
      if (!repos[name]) throw err('RepositoryNotFoundException');
      return { repositories: [{ repositoryName: name, imageTagMutability: repos[name].mutability as any, repositoryUri: `127.0.0.1:5000/${name}` }], $metadata: {} };
    },
    async createRepository(input) {
      calls.push(`createRepository:${input.imageTagMutability}:${input.imageScanningConfiguration?.scanOnPush}`);
      repos[input.repositoryName!] = { mutability: input.imageTagMutability!, tags: {} };
      return { repository: { repositoryName: input.repositoryName, imageTagMutability: input.imageTagMutability }, $metadata: {} };
    },
    async getLifecyclePolicy({ repositoryName }) {
      calls.push('getLifecyclePolicy');
      const policy = repos[repositoryName!]?.policy;
      if (!policy) throw err('LifecyclePolicyNotFoundException');
      return { lifecyclePolicyText: policy, $metadata: {} };
    },
    async putLifecyclePolicy({ repositoryName, lifecyclePolicyText }) {
      calls.push('putLifecyclePolicy');
      repos[repositoryName!].policy = lifecyclePolicyText;
      return { $metadata: {} };
    },
    async describeImages({ repositoryName, imageIds }) {
      calls.push('describeImages');
      const repo = repos[repositoryName!];
      if (!repo) throw err('RepositoryNotFoundException');
      const digest = repo.tags?.[imageIds![0].imageTag!];
      if (!digest) throw err('ImageNotFoundException');
      return { imageDetails: [{ imageDigest: digest, imageTags: [imageIds![0].imageTag!] }], $metadata: {} };
    },
    getAuthorizationToken: async () => { throw new Error('unused'); },
    batchGetImage: async () => { throw new Error('unused'); },
    putImage: async () => { throw new Error('unused'); },
  };
  return { port, repos, calls };
}

const app = { project: 'api', repository: 'ferry/api', lifecycle: { keepTaggedImages: 10, untaggedExpireDays: 2 } };

test('ensureRepository creates an IMMUTABLE, scan-on-push repository with the policy', async () => {
  const ecr = fakeEcr();
  const reporter = new MemoryReporter();
  const r = await ensureRepository(ecr.port, app, reporter);
  assert.is(r.created, true);
  assert.is(r.policyUpdated, true);
  assert.ok(ecr.calls.includes('createRepository:IMMUTABLE:true'));
  assert.ok(samePolicy(ecr.repos['ferry/api'].policy, JSON.stringify(lifecyclePolicyFor(app.lifecycle))));
  assert.not.ok(reporter.events.some((e) => e.kind === 'warn'));
});

test('ensureRepository on an up-to-date repository writes nothing', async () => {
  const ecr = fakeEcr({ repos: { 'ferry/api': { mutability: 'IMMUTABLE', policy: JSON.stringify(lifecyclePolicyFor(app.lifecycle)) } } });
  const r = await ensureRepository(ecr.port, app);
  assert.equal({ created: r.created, policyUpdated: r.policyUpdated }, { created: false, policyUpdated: false });
  assert.equal(ecr.calls, ['describeRepositories', 'getLifecyclePolicy']);
});

test('ensureRepository reads the repository and its lifecycle policy at once (one round trip)', async () => {
  const ecr = fakeEcr({ repos: { 'ferry/api': { mutability: 'IMMUTABLE', policy: JSON.stringify(lifecyclePolicyFor(app.lifecycle)) } } });
  // DescribeRepositories answers only once GetLifecyclePolicy has been asked: read one after the
  // other, the two would never both be asked within the second this test allows.
  let asked!: () => void;
  const policyAsked = new Promise<void>((r) => (asked = r));
  const port: EcrPort = {
    ...ecr.port,
    describeRepositories: async (input) => {
      await policyAsked;
      return ecr.port.describeRepositories(input);
    },
    getLifecyclePolicy: async (input) => {
      asked();
      return ecr.port.getLifecyclePolicy(input);
    },
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 1000)));
  const r = await Promise.race([ensureRepository(port, app), timeout]);
  clearTimeout(timer);
  assert.is.not(r, 'timeout', 'DescribeRepositories and GetLifecyclePolicy were asked one after the other');
  assert.equal(ecr.calls.sort(), ['describeRepositories', 'getLifecyclePolicy']);
});

test('ensureRepository warns about a MUTABLE repository and leaves it MUTABLE, but updates a stale policy', async () => {
  const ecr = fakeEcr({ repos: { 'ferry/api': { mutability: 'MUTABLE', policy: JSON.stringify(lifecyclePolicyFor({ keepTaggedImages: 99 })) } } });
  const reporter = new MemoryReporter();
  const r = await ensureRepository(ecr.port, app, reporter);
  assert.is(ecr.repos['ferry/api'].mutability, 'MUTABLE');
  assert.is(r.policyUpdated, true);
  const warn = reporter.events.find((e) => e.kind === 'warn');
  assert.ok(warn && /MUTABLE/.test(warn.message) && /put-image-tag-mutability/.test(warn.message));
});

test('imageExists: digest when present, null for a missing tag or repository', async () => {
  const ecr = fakeEcr({ repos: { 'ferry/api': { mutability: 'IMMUTABLE', tags: { abc: 'sha256:1' } } } });
  assert.equal(await imageExists(ecr.port, 'ferry/api', 'abc'), { digest: 'sha256:1', pushedAt: undefined });
  assert.is(await imageExists(ecr.port, 'ferry/api', 'nope'), null);
  assert.is(await imageExists(ecr.port, 'ferry/other', 'abc'), null);
});

test('the port translates other errors into what was attempted; imageExists passes them on', async () => {
  const client = { send: async () => { throw Object.assign(new Error('denied'), { name: 'ServerException' }); } } as unknown as ECRClient;
  try {
    await imageExists(ecrPort(client), 'ferry/api', 'abc');
    assert.unreachable();
  } catch (e: any) {
    assert.is(e.code, 'AWS_ERROR');
    assert.match(e.message, /look up ferry\/api:abc in ECR/);
  }
});

test.run();
