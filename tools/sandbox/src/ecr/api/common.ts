/** What the ECR resource modules share: their dependencies and the repository lookup. */
import type { SandboxContext, StateStore } from '../../context.ts';
import type { LifecycleRunner } from '../lifecycle-runner.ts';
import type { RegistryImages } from '../registry-images.ts';
import { getRepository, type EcrState, type RepositoryRecord } from '../store.ts';

/** Everything an ECR resource module works with. */
export interface EcrDeps {
  ctx: SandboxContext;
  /** Repository records; each update is written at once. */
  store: StateStore<EcrState>;
  images: RegistryImages;
  lifecycle: LifecycleRunner;
}

/** ECR timestamps: whole epoch seconds. */
export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The repository a request names, or RepositoryNotFoundException. */
export const repositoryOf = ({ ctx, store }: EcrDeps, name: unknown): RepositoryRecord => getRepository(ctx, store, name);
