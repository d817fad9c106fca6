/**
 * What the registry proxy asks the ECR part about a `docker push` (ECS-SEMANTICS §5): a push to a
 * repository never created is refused (NAME_UNKNOWN), and so is a new digest under an existing tag of
 * an IMMUTABLE repository (TAG_INVALID); an accepted manifest records its push time.
 */
import type { SandboxContext, StateStore } from '../context.ts';
import { RegistryApiError } from '../registry/client.ts';
import type { LifecycleRunner } from './lifecycle-runner.ts';
import type { RegistryImages } from './registry-images.ts';
import type { EcrState } from './store.ts';

/** What the registry proxy asks the ECR part before letting a push through. */
export interface PushGuard {
  /** A registry-style refusal for a request on repository `name`, or undefined to let it through. */
  checkRepository(name: string): RegistryApiError | undefined;
  /** A refusal for putting manifest `digest` under `tag` (IMMUTABLE repositories), or undefined. */
  checkTagPush(name: string, tag: string, digest: string): Promise<RegistryApiError | undefined>;
  /** Called after the registry accepted a manifest (push time, lifecycle policy). */
  pushed(name: string, digest: string): void;
}

/** The guard over the ECR state and the registry. */
export function pushGuard(ctx: Pick<SandboxContext, 'accountId'>, store: StateStore<EcrState>, images: RegistryImages, lifecycle: LifecycleRunner): PushGuard {
  return {
    checkRepository(name) {
      if (store.get().repositories[name]) return undefined;
      return new RegistryApiError(404, 'NAME_UNKNOWN', `The repository with name '${name}' does not exist in the registry with id '${ctx.accountId}'`);
    },
    async checkTagPush(name, tag, digest) {
      const r = store.get().repositories[name];
      if (!r || r.imageTagMutability !== 'IMMUTABLE') return undefined;
      const current = await images.registry.headManifest(name, tag);
      if (current === undefined || current === digest) return undefined;
      return new RegistryApiError(400, 'TAG_INVALID', `The image tag '${tag}' already exists in the '${name}' repository and cannot be overwritten because the repository is immutable.`);
    },
    pushed(name, digest) {
      images.recordPush(name, digest);
      lifecycle.schedule();
    },
  };
}
