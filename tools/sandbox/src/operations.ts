/**
 * An API's operation table, assembled from its resource modules (each registers the operations of one
 * resource: clusters, services, repositories…). The server maps `X-Amz-Target` to the API, then the
 * operation name to its handler here.
 */
import type { OperationHandler } from './context.ts';

/** Operation name (e.g. `DescribeServices`) → handler: what one resource module registers. */
export type Operations = Record<string, OperationHandler>;

/**
 * Merges resource modules into one table; an operation registered twice is a programming error.
 * `after` runs once at the end of every call, answered or failed, before the answer goes out (the ECS
 * part writes the state the call changed there).
 */
export function operationTable(modules: Operations[], after?: () => void): Operations {
  const table: Operations = {};
  for (const module of modules) {
    for (const [operation, handler] of Object.entries(module)) {
      if (Object.hasOwn(table, operation)) throw new Error(`operation ${operation} is registered twice`);
      table[operation] = after
        ? async (input) => {
            try {
              return await handler(input);
            } finally {
              after();
            }
          }
        : handler;
    }
  }
  return table;
}
