/**
 * An in-memory ECR behind the EcrPort, for unit tests: repositories with their settings and
 * lifecycle policy, images by tag and digest, authorization tokens. Answers as ECR does
 * (RepositoryNotFoundException, ImageNotFoundException from DescribeImages but `failures` from
 * BatchGetImage, ImageTagAlreadyExistsException on an IMMUTABLE repository: ECR model and
 * ECS-SEMANTICS §5); errors are thrown as the real port throws them (`attempt`).
 */
import { createHash } from 'node:crypto';
import type {
  BatchGetImageCommandInput,
  BatchGetImageCommandOutput,
  CreateRepositoryCommandInput,
  CreateRepositoryCommandOutput,
  DescribeImagesCommandInput,
  DescribeImagesCommandOutput,
  DescribeRepositoriesCommandInput,
  DescribeRepositoriesCommandOutput,
  GetAuthorizationTokenCommandOutput,
  GetLifecyclePolicyCommandInput,
  GetLifecyclePolicyCommandOutput,
  PutImageCommandInput,
  PutImageCommandOutput,
  PutLifecyclePolicyCommandInput,
  PutLifecyclePolicyCommandOutput,
  Repository,
} from '@aws-sdk/client-ecr';
import { attempt } from '../errors.ts';
import type { EcrPort } from '../ecr.ts';

const ACCOUNT = '000000000000';
const awsError = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });

interface Repo {
  repository: Repository;
  policy?: string;
  /** digest -> manifest and tags */
  images: Map<string, { manifest: string; tags: Set<string>; pushedAt: Date }>;
}

export class FakeEcr implements EcrPort {
  readonly calls: string[] = [];
  /** The registry host images are tagged for (what GetAuthorizationToken's proxyEndpoint names). */
  constructor(readonly registry = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`) {}
  private readonly repos = new Map<string, Repo>();
  private readonly errors = new Map<string, Error[]>();

  /** The next call of `op` throws an AWS error named `name`. */
  failNext(op: keyof EcrPort, name: string, message = name): this {
    this.errors.set(op, [...(this.errors.get(op) ?? []), awsError(name, message)]);
    return this;
  }

  /** Puts an image into a repository (created if missing), as a push would; returns its digest. */
  addImage(repositoryName: string, tag: string, manifest = `{"tag":"${tag}"}`): string {
    const repo = this.repos.get(repositoryName) ?? this.newRepo(repositoryName, 'IMMUTABLE');
    const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    const img = repo.images.get(digest) ?? { manifest, tags: new Set<string>(), pushedAt: new Date() };
    img.tags.add(tag);
    repo.images.set(digest, img);
    return digest;
  }

  count(op: keyof EcrPort): number {
    return this.calls.filter((c) => c === op || c.startsWith(`${op} `)).length;
  }

  repository(name: string): (Repository & { policy?: string }) | undefined {
    const r = this.repos.get(name);
    return r && { ...r.repository, policy: r.policy };
  }

  private call<T>(op: keyof EcrPort, text: string, fn: () => T): Promise<T> {
    this.calls.push(text ? `${op} ${text}` : op);
    return attempt(`${op} ${text}`.trim(), async () => {
      const err = this.errors.get(op)?.shift();
      if (err) throw err;
      return fn();
    });
  }

  private newRepo(name: string, mutability: string): Repo {
    const repo: Repo = {
      repository: { repositoryName: name, repositoryArn: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/${name}`, repositoryUri: `${this.registry}/${name}`, registryId: ACCOUNT, imageTagMutability: mutability as Repository['imageTagMutability'] },
      images: new Map(),
    };
    this.repos.set(name, repo);
    return repo;
  }

  private repo(name: string | undefined): Repo {
    const r = this.repos.get(name ?? '');
    if (!r) throw awsError('RepositoryNotFoundException', `The repository with name '${name}' does not exist in the registry with id '${ACCOUNT}'`);
    return r;
  }

  private find(r: Repo, id: { imageTag?: string; imageDigest?: string }) {
    for (const [digest, img] of r.images) if ((id.imageDigest && digest === id.imageDigest) || (id.imageTag && img.tags.has(id.imageTag))) return { digest, img };
    return undefined;
  }

  describeImages(input: DescribeImagesCommandInput): Promise<DescribeImagesCommandOutput> {
    return this.call('describeImages', `${input.repositoryName}:${input.imageIds?.map((i) => i.imageTag ?? i.imageDigest).join(',') ?? '*'}`, () => {
      const r = this.repo(input.repositoryName);
      const ids: { imageTag?: string; imageDigest?: string }[] = input.imageIds ?? [...r.images.keys()].map((imageDigest) => ({ imageDigest }));
      const imageDetails = ids.map((id) => {
        const f = this.find(r, id);
        if (!f) throw awsError('ImageNotFoundException', `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag}'} does not exist within the repository with name '${input.repositoryName}' in the registry with id '${ACCOUNT}'`);
        return { registryId: ACCOUNT, repositoryName: input.repositoryName, imageDigest: f.digest, imageTags: [...f.img.tags], imagePushedAt: f.img.pushedAt };
      });
      return { imageDetails, $metadata: {} };
    });
  }

  describeRepositories(input: DescribeRepositoriesCommandInput): Promise<DescribeRepositoriesCommandOutput> {
    return this.call('describeRepositories', (input.repositoryNames ?? []).join(','), () => ({
      repositories: (input.repositoryNames ?? [...this.repos.keys()]).map((n) => ({ ...this.repo(n).repository })),
      $metadata: {},
    }));
  }

  createRepository(input: CreateRepositoryCommandInput): Promise<CreateRepositoryCommandOutput> {
    return this.call('createRepository', input.repositoryName ?? '', () => {
      if (this.repos.has(input.repositoryName ?? '')) throw awsError('RepositoryAlreadyExistsException', `The repository with name '${input.repositoryName}' already exists in the registry with id '${ACCOUNT}'`);
      const r = this.newRepo(input.repositoryName!, input.imageTagMutability ?? 'MUTABLE');
      r.repository.imageScanningConfiguration = input.imageScanningConfiguration;
      return { repository: { ...r.repository }, $metadata: {} };
    });
  }

  putLifecyclePolicy(input: PutLifecyclePolicyCommandInput): Promise<PutLifecyclePolicyCommandOutput> {
    return this.call('putLifecyclePolicy', input.repositoryName ?? '', () => {
      const r = this.repo(input.repositoryName);
      JSON.parse(input.lifecyclePolicyText ?? '');
      r.policy = input.lifecyclePolicyText;
      return { repositoryName: input.repositoryName, lifecyclePolicyText: r.policy, registryId: ACCOUNT, $metadata: {} };
    });
  }

  getLifecyclePolicy(input: GetLifecyclePolicyCommandInput): Promise<GetLifecyclePolicyCommandOutput> {
    return this.call('getLifecyclePolicy', input.repositoryName ?? '', () => {
      const r = this.repo(input.repositoryName);
      if (!r.policy) throw awsError('LifecyclePolicyNotFoundException', `Lifecycle policy does not exist for the repository with name '${input.repositoryName}'`);
      return { repositoryName: input.repositoryName, lifecyclePolicyText: r.policy, registryId: ACCOUNT, $metadata: {} };
    });
  }

  getAuthorizationToken(): Promise<GetAuthorizationTokenCommandOutput> {
    return this.call('getAuthorizationToken', '', () => ({
      authorizationData: [{ authorizationToken: Buffer.from('AWS:fake-ecr-password').toString('base64'), proxyEndpoint: `https://${this.registry}`, expiresAt: new Date(Date.now() + 12 * 3600_000) }],
      $metadata: {},
    }));
  }

  batchGetImage(input: BatchGetImageCommandInput): Promise<BatchGetImageCommandOutput> {
    return this.call('batchGetImage', input.repositoryName ?? '', () => {
      const r = this.repo(input.repositoryName);
      const images = [];
      const failures = [];
      for (const id of input.imageIds ?? []) {
        const f = this.find(r, id);
        if (f) images.push({ registryId: ACCOUNT, repositoryName: input.repositoryName, imageId: { imageDigest: f.digest, imageTag: id.imageTag }, imageManifest: f.img.manifest });
        else failures.push({ imageId: id, failureCode: 'ImageNotFound' as const, failureReason: 'Requested image not found' });
      }
      return { images, failures, $metadata: {} };
    });
  }

  putImage(input: PutImageCommandInput): Promise<PutImageCommandOutput> {
    return this.call('putImage', `${input.repositoryName}:${input.imageTag}`, () => {
      const r = this.repo(input.repositoryName);
      const digest = `sha256:${createHash('sha256').update(input.imageManifest ?? '').digest('hex')}`;
      const holder = input.imageTag ? this.find(r, { imageTag: input.imageTag }) : undefined;
      if (holder?.digest === digest) throw awsError('ImageAlreadyExistsException', `Image with digest '${digest}' and tag '${input.imageTag}' already exists in the repository with name '${input.repositoryName}' in registry with id '${ACCOUNT}'`);
      if (holder && r.repository.imageTagMutability === 'IMMUTABLE') throw awsError('ImageTagAlreadyExistsException', `The image tag '${input.imageTag}' already exists in the '${input.repositoryName}' repository and cannot be overwritten because the repository is immutable.`);
      holder?.img.tags.delete(input.imageTag!);
      this.addImage(input.repositoryName!, input.imageTag ?? '', input.imageManifest);
      return { image: { registryId: ACCOUNT, repositoryName: input.repositoryName, imageId: { imageDigest: digest, imageTag: input.imageTag }, imageManifest: input.imageManifest }, $metadata: {} };
    });
  }
}
