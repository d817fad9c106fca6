/**
 * Typed errors. Every error a person can act on is a FerryError with a message that names the next
 * step; the entry scripts' top-level handler prints `message` (never a stack) and exits with `exitCode`.
 * Anything else reaching the handler is an InternalError: printed with its stack and a request to report it.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_MISSING'
  | 'ENV_UNKNOWN'
  | 'DOCKER_UNAVAILABLE'
  | 'REGISTRY_UNREACHABLE'
  | 'AWS_CREDENTIALS'
  | 'AWS_ERROR'
  | 'NOT_FOUND'
  | 'BUILD_FAILED'
  | 'PUSH_FAILED'
  | 'DEPLOY_FAILED'
  | 'ROLLOUT_TIMEOUT'
  | 'UNHEALTHY'
  | 'SMOKE_FAILED'
  | 'LOCKED'
  | 'INTERRUPTED'
  | 'USAGE'
  | 'NOT_IMPLEMENTED'
  /** A git command failed (not a repository, unknown revision…). */
  | 'GIT_FAILED'
  /** Nx could not compute the project graph. */
  | 'GRAPH_FAILED'
  /** A process ferry started failed, timed out or could not start (`exec`). */
  | 'EXEC_FAILED'
  /** A one-off task (run) could not start, was stopped, or its container exited non-zero. */
  | 'TASK_FAILED'
  /** The migration task of a deploy failed: the service was not changed. */
  | 'MIGRATION_FAILED';

export class FerryError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  /** Extra lines shown under the message (stopped-task reasons, events…). */
  readonly details: string[];
  constructor(code: ErrorCode, message: string, opts: { exitCode?: number; details?: string[]; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'FerryError';
    this.code = code;
    this.exitCode = opts.exitCode ?? (code === 'INTERRUPTED' ? 130 : 1);
    this.details = opts.details ?? [];
  }
}

export const isFerryError = (e: unknown): e is FerryError => e instanceof FerryError;
