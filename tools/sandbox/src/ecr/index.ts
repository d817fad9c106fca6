/**
 * The sandbox's ECR part: the ECR API over the real registry. One module per resource registers its
 * operations (api/repositories.ts, api/images.ts, api/lifecycle-policies.ts, api/authorization.ts);
 * images are read from and deleted in the registry (registry-images.ts), lifecycle policies are
 * applied in the background (lifecycle-runner.ts), and the registry proxy asks push-guard.ts before a
 * push. Repository records live in `state/ecr.json` (store.ts).
 */
import type { SandboxContext, SandboxService } from '../context.ts';
import { validatedOperations } from '../model-validation.ts';
import { operationTable } from '../operations.ts';
import type { RegistryClient } from '../registry/client.ts';
import { authorizationOperations } from './api/authorization.ts';
import type { EcrDeps } from './api/common.ts';
import { imageOperations } from './api/images.ts';
import { lifecyclePolicyOperations } from './api/lifecycle-policies.ts';
import { repositoryOperations } from './api/repositories.ts';
import { LifecycleRunner } from './lifecycle-runner.ts';
import { pushGuard, type PushGuard } from './push-guard.ts';
import { RegistryImages } from './registry-images.ts';
import { openEcrState } from './store.ts';

export type { PushGuard } from './push-guard.ts';

/** The ECR part: its API, the lifecycle policies, and the guard the registry proxy consults. */
export interface EcrService extends SandboxService, PushGuard {
  /** Applies every repository's lifecycle policy now; returns the number of images expired. */
  applyLifecyclePolicies(): Promise<number>;
}

/** The ECR API over the real registry. */
export function createEcrService(ctx: SandboxContext, registry: RegistryClient, opts: { lifecycleIntervalMs?: number } = {}): EcrService {
  const store = openEcrState(ctx);
  const images = new RegistryImages(registry, store);
  const lifecycle = new LifecycleRunner(ctx, store, images);
  const deps: EcrDeps = { ctx, store, images, lifecycle };
  const resources = [repositoryOperations, imageOperations, lifecyclePolicyOperations, authorizationOperations];
  return {
    // Each request is validated against the ECR model before its handler runs.
    handlers: validatedOperations('ecr', operationTable(resources.map((register) => register(deps)))),
    start: () => lifecycle.start(opts.lifecycleIntervalMs ?? 30_000),
    stop: () => lifecycle.stop(),
    info: () => ({ repositories: Object.keys(store.get().repositories).sort() }),
    applyLifecyclePolicies: () => lifecycle.applyAll(),
    ...pushGuard(ctx, store, images, lifecycle),
  };
}
