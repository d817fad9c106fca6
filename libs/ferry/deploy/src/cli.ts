/**
 * Flags shared by the deploy-side entry scripts. `nx run <app>:deploy --flag` forwards a flag to
 * every target of the chain, so each chain script accepts the whole set and ignores what is not its own.
 */
import { FerryError, type AppDeployConfig } from '@ferry/core';

export interface ChainArgs {
  'dry-run': boolean;
  'no-rollback': boolean;
  force: boolean;
  timeout?: string;
  tag?: string;
  junit?: string;
  'allow-dirty': boolean;
  'lock-wait'?: string;
  'force-unlock': boolean;
  'allow-plaintext-secrets': boolean;
}

export const CHAIN_OPTIONS = {
  'dry-run': { type: 'boolean', default: false },
  'no-rollback': { type: 'boolean', default: false },
  force: { type: 'boolean', default: false },
  timeout: { type: 'string' },
  tag: { type: 'string' },
  junit: { type: 'string' },
  'allow-dirty': { type: 'boolean', default: false },
  'lock-wait': { type: 'string' },
  'force-unlock': { type: 'boolean', default: false },
  'allow-plaintext-secrets': { type: 'boolean', default: false },
} as const;

export const CHAIN_HELP: Record<string, string> = {
  'dry-run': 'print the plan with the exact AWS inputs; change nothing',
  'no-rollback': 'leave a failed rollout in place instead of rolling back',
  force: 'register and roll out even when nothing changed',
  timeout: 'seconds to wait for the rollout (default: deployment.timeoutSeconds)',
  tag: 'deploy this image tag instead of the content tag of the checked-out code',
  junit: 'smoke-test: also write the results as JUnit XML to this file',
  'allow-dirty': 'build-image: allow a tag with uncommitted changes for an AWS environment',
  'lock-wait': 'seconds to wait for another deploy of this service to release its lock (default 0: fail at once)',
  'force-unlock': 'break-glass: remove the service lock whoever holds it, then go on (only when its owner is surely gone)',
  'allow-plaintext-secrets': 'warn instead of refusing secret-looking plaintext values in environment',
};

/** `--lock-wait` in ms (0 when absent). */
export function lockWaitMs(args: { 'lock-wait'?: string }): number {
  if (args['lock-wait'] === undefined) return 0;
  const n = Number(args['lock-wait']);
  if (!Number.isFinite(n) || n < 0) throw new FerryError('USAGE', `--lock-wait must be a number of seconds >= 0 (got ${JSON.stringify(args['lock-wait'])}). Example: --lock-wait 120`);
  return n * 1000;
}

/** `--timeout` in seconds, else the app's deployment.timeoutSeconds, in ms. */
export function timeoutMs(args: { timeout?: string }, app: AppDeployConfig): number {
  if (args.timeout === undefined) return app.deployment.timeoutSeconds * 1000;
  const n = Number(args.timeout);
  if (!Number.isFinite(n) || n <= 0) throw new FerryError('USAGE', `--timeout must be a positive number of seconds (got ${JSON.stringify(args.timeout)}). Example: --timeout 300`);
  return n * 1000;
}
