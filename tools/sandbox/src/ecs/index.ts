/**
 * The sandbox's ECS part: the ECS API (api/, one module per resource) over persisted state (model.ts),
 * and a service scheduler: the controller (controller.ts) runs the pure scheduler (scheduler/) every
 * tick and has the task runner (task-runner.ts) run tasks as Docker containers (runtime.ts) behind
 * per-service load balancers (lb.ts). See docs/sandbox.md, section ECS.
 */
import type { EcsServicesPort, SandboxContext, SandboxService } from '../context.ts';
import { bufferedStore } from '../state.ts';
import { createHandlers } from './api/index.ts';
import { Controller } from './controller.ts';
import { initialEcsState } from './model.ts';
import { optionsFromEnv, type ControllerOptions } from './options.ts';
import { dockerRuntime, type TaskRuntime } from './runtime.ts';
import { arns } from './views.ts';

/** Service tag holding the sandbox load balancer URL (`http://127.0.0.1:<port>`) of a service with loadBalancers. */
export const SANDBOX_URL_TAG = 'ferry:sandbox-url';

/** Test seams of the ECS part: another task runtime, other timings. */
export interface EcsServiceOptions {
  runtime?: TaskRuntime;
  controller?: Partial<ControllerOptions>;
}

export function createEcsService(ctx: SandboxContext, options: EcsServiceOptions = {}): SandboxService & { info(): unknown; services: EcsServicesPort } {
  // Written behind: once per controller tick and once at the end of each API call.
  const store = bufferedStore(ctx.state('ecs', initialEcsState()));
  const a = arns(ctx.region, ctx.accountId);
  const runtime = options.runtime ?? dockerRuntime({ registries: ctx.registries ?? [{ host: ctx.registryHost, auth: ctx.registryAuth }] });
  const controller = new Controller(ctx, store, runtime, a, { ...optionsFromEnv(), ...options.controller });
  const handlers = createHandlers({ store, arns: a, accountId: ctx.accountId, controller, urlTagKey: SANDBOX_URL_TAG, elb: ctx.elb });
  return {
    handlers,
    start: () => controller.start(),
    stop: ({ removeTasks }) => controller.stop(removeTasks),
    info: () => ({ ...controller.info(), urlTag: SANDBOX_URL_TAG }),
    services: { status: (cluster, service) => store.get().services[`${cluster}/${service}`]?.status },
  };
}
