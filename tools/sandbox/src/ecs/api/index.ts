/**
 * The ECS API: one module per resource registers its operations; this assembles them into the table
 * the server dispatches `X-Amz-Target` to, and writes the state a call changed once when it ends, so a
 * successful answer is already on disk (a sandbox restart right after CreateService finds the service).
 */
import { validatedOperations } from '../../model-validation.ts';
import { operationTable, type Operations } from '../../operations.ts';
import { clusterOperations } from './clusters.ts';
import type { ApiDeps } from './common.ts';
import { serviceDeploymentOperations } from './service-deployments.ts';
import { serviceOperations } from './services.ts';
import { tagOperations } from './tags.ts';
import { taskDefinitionOperations } from './task-definitions.ts';
import { taskOperations } from './tasks.ts';

export type { ApiDeps, ControllerPort } from './common.ts';

/** Every ECS operation the sandbox serves, by name; each request is validated against the ECS model first. */
export function createHandlers(deps: ApiDeps): Operations {
  const resources = [clusterOperations, taskDefinitionOperations, serviceOperations, serviceDeploymentOperations, taskOperations, tagOperations];
  return validatedOperations(
    'ecs',
    operationTable(
      resources.map((register) => register(deps)),
      () => deps.store.flush(),
    ),
  );
}
