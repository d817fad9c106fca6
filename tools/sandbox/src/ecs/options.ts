/** The ECS controller's timings (from the environment) and the labels on every task container. */

/** Sandbox timings; defaults come from the environment (see docs/sandbox.md, ECS section). */
export interface ControllerOptions {
  /** Reconcile period. */
  tickMs: number;
  /** Without an essential-container health check a RUNNING task counts as healthy after this (ECS: 40 s). */
  noHealthCheckGraceMs: number;
  /** SIGTERM → SIGKILL delay when the container definition sets no stopTimeout (ECS: 30 s). */
  defaultStopTimeoutSeconds: number;
  /** STOPPED tasks stay visible this long (ECS: at least 1 h). */
  stoppedRetentionMs: number;
  /** Stopped tasks per service whose containers are kept (stopped, not removed) so their output stays readable. */
  keepStoppedContainers: number;
  /** A FAILED deployment stays in `deployments[]` at least this long after it failed (ECS: minutes). */
  failedVisibleMs: number;
}

/** Reads `FERRY_SANDBOX_*` timings; a value that is not a non-negative number is an error naming the variable. */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): ControllerOptions {
  const num = (name: string, dflt: number) => {
    const v = env[name];
    if (v === undefined || v === '') return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name}='${v}' must be a non-negative number`);
    return n;
  };
  return {
    tickMs: num('FERRY_SANDBOX_TICK_MS', 300),
    noHealthCheckGraceMs: num('FERRY_SANDBOX_NOHC_GRACE_MS', 2000),
    defaultStopTimeoutSeconds: num('FERRY_SANDBOX_STOP_TIMEOUT_S', 30),
    stoppedRetentionMs: num('FERRY_SANDBOX_STOPPED_RETENTION_MS', 3 * 3600_000),
    keepStoppedContainers: num('FERRY_SANDBOX_KEEP_STOPPED', 5),
    failedVisibleMs: num('FERRY_SANDBOX_FAILED_VISIBLE_MS', 20_000),
  };
}

/** Labels on every task container (besides the sandbox instance label), so adoption and `down` find them. */
export const LABELS = {
  component: 'ferry.sandbox.ecs',
  cluster: 'ferry.ecs.cluster',
  service: 'ferry.ecs.service',
  task: 'ferry.ecs.task',
  deployment: 'ferry.ecs.deployment',
  container: 'ferry.ecs.container',
};

/** The label filter matching every task container of this sandbox instance. */
export function taskContainerLabels(containerLabel: { key: string; value: string }): Record<string, string> {
  return { [containerLabel.key]: containerLabel.value, [LABELS.component]: 'task' };
}
