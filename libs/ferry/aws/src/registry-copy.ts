/**
 * Copying an image from one registry to another over the registry HTTP API (the OCI distribution
 * spec, which ECR speaks with `Authorization: Basic <GetAuthorizationToken token>`; ECS-SEMANTICS §5):
 * pull the manifest by digest, copy every blob the target lacks (HEAD, then GET from the source and
 * POST + PATCH + PUT `?digest=` to the target, streamed), children of an index first, then PUT the
 * manifest bytes unchanged under the tag, so the digest in the target is the source's. No Docker
 * engine, no rebuild. Spec: https://github.com/opencontainers/distribution-spec/blob/main/spec.md
 * (pull, "Pushing a blob in chunks", "Pushing Manifests"); ECR: registry_auth.md (HTTP API auth).
 */
import { createHash } from 'node:crypto';
import { FerryError } from '@ferry/core';

/** One side of a copy: the registry's base URL (`https://<host>` from proxyEndpoint), a repository, and ECR credentials. */
export interface RegistryRepository {
  /** `https://123456789012.dkr.ecr.eu-west-1.amazonaws.com` (GetAuthorizationToken's proxyEndpoint). */
  baseUrl: string;
  repository: string;
  username: string;
  password: string;
}

/** What a copy did: how many blobs it sent and how many the target already had. */
export interface CopyResult {
  manifests: number;
  blobsCopied: number;
  blobsPresent: number;
  bytesCopied: number;
}

/** Manifest types ferry copies: OCI and Docker, single-platform and index/list. */
export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const;

const INDEX_TYPES = new Set<string>([MANIFEST_TYPES[0], MANIFEST_TYPES[1]]);

interface Manifest {
  mediaType?: string;
  config?: { digest: string };
  layers?: Array<{ digest: string }>;
  manifests?: Array<{ digest: string }>;
  /** OCI artifacts and attestations may reference a subject; it is copied too. */
  subject?: { digest: string };
}

/** The blobs a single-platform manifest references (config first), and the child manifests of an index. Pure. */
export function manifestReferences(body: string, mediaType: string): { blobs: string[]; children: string[] } {
  const m = JSON.parse(body) as Manifest;
  if (INDEX_TYPES.has(mediaType) || INDEX_TYPES.has(m.mediaType ?? '')) return { blobs: [], children: (m.manifests ?? []).map((c) => c.digest) };
  return { blobs: [...(m.config ? [m.config.digest] : []), ...(m.layers ?? []).map((l) => l.digest)], children: [] };
}

export const sha256 = (bytes: Uint8Array | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/**
 * Copies `digest` from `from` to `to` and tags it `tag` there. `fetchFn` is the HTTP port (tests
 * pass the global fetch against a real registry). Throws a FerryError naming the step that failed.
 */
export async function copyImage(from: RegistryRepository, to: RegistryRepository, digest: string, tag: string, fetchFn: typeof fetch = fetch): Promise<CopyResult> {
  const result: CopyResult = { manifests: 0, blobsCopied: 0, blobsPresent: 0, bytesCopied: 0 };
  const auth = (r: RegistryRepository) => `Basic ${Buffer.from(`${r.username}:${r.password}`).toString('base64')}`;
  const url = (r: RegistryRepository, path: string) => `${r.baseUrl.replace(/\/+$/, '')}/v2/${r.repository}/${path}`;
  const fail = async (what: string, res: Response): Promise<never> => {
    const text = (await res.text().catch(() => '')).slice(0, 300);
    throw new FerryError('AWS_ERROR', `registry copy: ${what} answered HTTP ${res.status}${text ? `: ${text}` : ''}. Check that the credentials may read the source (ecr:BatchGetImage, ecr:GetDownloadUrlForLayer) and write the target (ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload, ecr:PutImage, ecr:BatchCheckLayerAvailability); see docs/aws.md.`);
  };

  const copyBlob = async (blob: string) => {
    const head = await fetchFn(url(to, `blobs/${blob}`), { method: 'HEAD', headers: { authorization: auth(to) } });
    if (head.ok) {
      result.blobsPresent++;
      return;
    }
    // ECR answers a blob GET with a redirect to S3; fetch follows it and drops the Authorization header across origins.
    const got = await fetchFn(url(from, `blobs/${blob}`), { headers: { authorization: auth(from) } });
    if (!got.ok || !got.body) return fail(`GET ${from.repository} blob ${blob}`, got);
    const start = await fetchFn(url(to, 'blobs/uploads/'), { method: 'POST', headers: { authorization: auth(to), 'content-length': '0' } });
    if (start.status !== 202) return fail(`starting the upload of ${blob} to ${to.repository}`, start);
    let location = new URL(start.headers.get('location') ?? '', to.baseUrl).href;
    const size = got.headers.get('content-length');
    const patch = await fetchFn(location, {
      method: 'PATCH',
      headers: { authorization: auth(to), 'content-type': 'application/octet-stream', ...(size && { 'content-length': size }) },
      body: got.body,
      duplex: 'half',
    } as RequestInit);
    if (patch.status !== 202) return fail(`uploading ${blob} to ${to.repository}`, patch);
    location = new URL(patch.headers.get('location') ?? location, to.baseUrl).href;
    const put = new URL(location);
    put.searchParams.set('digest', blob);
    const done = await fetchFn(put.href, { method: 'PUT', headers: { authorization: auth(to), 'content-length': '0' } });
    if (done.status !== 201) return fail(`completing the upload of ${blob} to ${to.repository}`, done);
    result.blobsCopied++;
    result.bytesCopied += Number(size ?? 0);
  };

  const copyManifest = async (ref: string, as: string) => {
    const got = await fetchFn(url(from, `manifests/${ref}`), { headers: { authorization: auth(from), accept: MANIFEST_TYPES.join(', ') } });
    if (!got.ok) return fail(`GET ${from.repository} manifest ${ref}`, got);
    const bytes = new Uint8Array(await got.arrayBuffer());
    if (sha256(bytes) !== ref) throw new FerryError('AWS_ERROR', `registry copy: the manifest ${from.repository}@${ref} read from ${from.baseUrl} has digest ${sha256(bytes)}; refusing to copy something else than asked.`);
    const mediaType = (got.headers.get('content-type') ?? '').split(';')[0].trim() || (JSON.parse(Buffer.from(bytes).toString('utf8')) as Manifest).mediaType || MANIFEST_TYPES[3];
    const refs = manifestReferences(Buffer.from(bytes).toString('utf8'), mediaType);
    for (const child of refs.children) await copyManifest(child, child);
    for (const blob of refs.blobs) await copyBlob(blob);
    const put = await fetchFn(url(to, `manifests/${as}`), { method: 'PUT', headers: { authorization: auth(to), 'content-type': mediaType }, body: bytes });
    if (put.status !== 201) return fail(`PUT ${to.repository} manifest ${as}`, put);
    const stored = put.headers.get('docker-content-digest');
    if (stored && stored !== ref) throw new FerryError('AWS_ERROR', `registry copy: ${to.baseUrl} stored the manifest as ${stored}, not ${ref}.`);
    result.manifests++;
  };

  await copyManifest(digest, tag);
  return result;
}
