/**
 * The sandbox's ECS part: the ECS API (api.ts) over persisted state (model.ts), a service scheduler
 * (controller.ts) running tasks as Docker containers (runtime.ts) behind per-service load balancers
 * (lb.ts). See docs/sandbox.md, section ECS.
 */
import type { SandboxContext, SandboxService } from '../context.ts';
import { bufferedStore } from '../state.ts';
import { createHandlers } from './api/index.ts';
import { Controller, optionsFromEnv, type ControllerOptions } from './controller.ts';
import { initialEcsState } from './model.ts';
import { dockerRuntime, type TaskRuntime } from './runtime.ts';
import { arns } from './views.ts';

/** Service tag holding the sandbox load balancer URL (`http://127.0.0.1:<port>`) of a service with loadBalancers. */
export const SANDBOX_URL_TAG = 'ferry:sandbox-url';

export interface EcsServiceOptions {
  runtime?: TaskRuntime;
  controller?: Partial<ControllerOptions>;
}

export function createEcsService(ctx: SandboxContext, options: EcsServiceOptions = {}): SandboxService & { info(): unknown } {
  const store = ctx.state('ecs', initialEcsState());
  const a = arns(ctx.region, ctx.accountId);
  const runtime = options.runtime ?? dockerRuntime({ registryHost: ctx.registryHost, registryAuth: ctx.registryAuth });
  const controller = new Controller(ctx, store, runtime, a, { ...optionsFromEnv(), ...options.controller });
  // API calls write their changes once, when each call ends.
  const handlers = createHandlers({ store: bufferedStore(store), arns: a, accountId: ctx.accountId, controller, urlTagKey: SANDBOX_URL_TAG });
  return {
    handlers,
    start: () => controller.start(),
    stop: ({ removeTasks }) => controller.stop(removeTasks),
    info: () => ({ ...controller.info(), urlTag: SANDBOX_URL_TAG }),
  };
}
