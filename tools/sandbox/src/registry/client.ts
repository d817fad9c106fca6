import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Manifest media types the sandbox stores and serves. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
];

export function sha256Digest(body: Buffer | string): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

/** An error answer of the registry API: `{"errors":[{"code", "message"}]}`. */
export class RegistryApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Manifest {
  digest: string;
  mediaType: string;
  body: string;
}

/**
 * The real registry, spoken to directly (not through the counting proxy) with the sandbox's
 * credentials. Listing untagged manifests and removing a single tag have no call in the registry
 * HTTP API v2, so those two read/modify the registry's filesystem storage, which the sandbox owns.
 */
export class RegistryClient {
  private readonly base: string;
  private readonly auth: string;

  constructor(
    port: number,
    credentials: { username: string; password: string },
    private readonly storageDir: string,
  ) {
    this.base = `http://127.0.0.1:${port}`;
    this.auth = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  }

  private async call(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
    return fetch(`${this.base}${path}`, { method, headers: { authorization: this.auth, ...init.headers }, body: init.body });
  }

  private static async fail(res: Response, what: string): Promise<never> {
    let code = `HTTP_${res.status}`;
    let message = `${what}: registry answered HTTP ${res.status}`;
    try {
      const body = (await res.json()) as { errors?: Array<{ code: string; message: string }> };
      if (body.errors?.[0]) {
        code = body.errors[0].code;
        message = `${what}: ${body.errors[0].code} ${body.errors[0].message}`;
      }
    } catch {
      // not JSON
    }
    throw new RegistryApiError(res.status, code, message);
  }

  /** The manifest for a tag or digest, or undefined when the registry does not have it. */
  async getManifest(name: string, reference: string, accept: string[] = MANIFEST_MEDIA_TYPES): Promise<Manifest | undefined> {
    const res = await this.call('GET', `/v2/${name}/manifests/${reference}`, { headers: { accept: accept.join(', ') } });
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) return RegistryClient.fail(res, `GET manifest ${name}:${reference}`);
    const body = await res.text();
    return {
      digest: res.headers.get('docker-content-digest') ?? sha256Digest(body),
      mediaType: res.headers.get('content-type') ?? JSON.parse(body).mediaType,
      body,
    };
  }

  /** The digest a tag points to, or undefined. */
  async headManifest(name: string, reference: string): Promise<string | undefined> {
    const res = await this.call('HEAD', `/v2/${name}/manifests/${reference}`, { headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') } });
    if (res.status === 404) return undefined;
    if (!res.ok) return RegistryClient.fail(res, `HEAD manifest ${name}:${reference}`);
    return res.headers.get('docker-content-digest') ?? undefined;
  }

  async putManifest(name: string, reference: string, body: string, mediaType: string): Promise<string> {
    const res = await this.call('PUT', `/v2/${name}/manifests/${reference}`, { headers: { 'content-type': mediaType }, body });
    if (res.status !== 201) return RegistryClient.fail(res, `PUT manifest ${name}:${reference}`);
    await res.body?.cancel();
    return res.headers.get('docker-content-digest') ?? sha256Digest(body);
  }

  /** Deletes a manifest and every tag pointing at it. */
  async deleteManifest(name: string, digest: string): Promise<void> {
    const res = await this.call('DELETE', `/v2/${name}/manifests/${digest}`);
    if (res.status === 404) return;
    if (res.status !== 202) return RegistryClient.fail(res, `DELETE manifest ${name}@${digest}`);
    await res.body?.cancel();
  }

  private repoDir(name: string): string {
    return join(this.storageDir, 'docker/registry/v2/repositories', name);
  }

  /** tag -> digest, read from storage (tags/list has no digests). */
  tags(name: string): Map<string, string> {
    const dir = join(this.repoDir(name), '_manifests/tags');
    const out = new Map<string, string>();
    if (!existsSync(dir)) return out;
    for (const tag of readdirSync(dir)) {
      try {
        out.set(tag, readFileSync(join(dir, tag, 'current/link'), 'utf8').trim());
      } catch {
        // a tag directory without a current link is being written or was half-deleted
      }
    }
    return out;
  }

  /** Every manifest digest in the repository (tagged or not) with the time its revision was linked. */
  manifests(name: string): Map<string, Date> {
    const dir = join(this.repoDir(name), '_manifests/revisions/sha256');
    const out = new Map<string, Date>();
    if (!existsSync(dir)) return out;
    for (const hex of readdirSync(dir)) {
      try {
        out.set(`sha256:${hex}`, statSync(join(dir, hex, 'link')).mtime);
      } catch {
        // deleted revision: the directory stays, the link goes
      }
    }
    return out;
  }

  /** Removes one tag, leaving the manifest and its other tags (what `tagService.Untag` does). */
  untag(name: string, tag: string): void {
    rmSync(join(this.repoDir(name), '_manifests/tags', tag), { recursive: true, force: true });
  }

  /** Removes the repository's storage (links only; blobs are left for garbage collection). */
  removeRepository(name: string): void {
    rmSync(this.repoDir(name), { recursive: true, force: true });
  }
}
