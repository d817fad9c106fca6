/**
 * The texts ECS writes: service event messages (ECS-SEMANTICS §1) and deployment rolloutStateReason
 * texts (§1, §2). Every event the sandbox emits comes from here.
 */

/** ECS service event texts (§1), by the service's name. */
export const messages = {
  steady: (s: string) => `(service ${s}) has reached a steady state.`,
  started: (s: string, ids: string[]) => `(service ${s}) has started ${ids.length} tasks: ${ids.map((i) => `(task ${i})`).join(' ')}.`,
  stoppedRunning: (s: string, ids: string[]) =>
    `(service ${s}) has stopped ${ids.length} running tasks: ${ids.map((i) => `(task ${i})`).join(' ')}.`,
  stoppedPending: (s: string, n: number) => `(service ${s}) stopped ${n} pending tasks.`,
  completed: (s: string, d: string) => `(service ${s}) (deployment ${d}) deployment completed.`,
  failed: (s: string, d: string) => `(service ${s}) (deployment ${d}) deployment failed: tasks failed to start.`,
  rollingBack: (s: string, d: string) => `(service ${s}) rolling back to deployment ${d}.`,
  healthFailed: (s: string, task: string) => `(service ${s}) (task ${task}) failed container health checks.`,
  registered: (s: string, n: number, tg: string) => `(service ${s}) registered ${n} targets in (target-group ${tg})`,
  deregistered: (s: string, n: number, tg: string) => `(service ${s}) deregistered ${n} targets in (target-group ${tg})`,
  unable: (s: string) =>
    `(service ${s}) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.`,
  elbUnhealthy: (s: string, task: string, tg: string, why?: string) => `(service ${s}) (task ${task}) is unhealthy in (target-group ${tg})${why ? ` due to (reason ${why})` : ''}.`,
  unableToStart: (s: string) => `(service ${s}) is unable to consistently start tasks successfully.`,
};

/** A deployment's `rolloutStateReason` texts (§1, §2). */
export const rolloutReasons = {
  inProgress: (d: string) => `ECS deployment ${d} in progress.`,
  completed: (d: string) => `ECS deployment ${d} completed.`,
  failed: 'ECS deployment circuit breaker: tasks failed to start.',
  rollingBack: (d: string) => `ECS deployment circuit breaker: rolling back to deploymentId ${d}.`,
};

/** stopCode/stoppedReason pairs of tasks the scheduler stops or sees fail (§3). */
export const stopReasons = {
  scaling: (deploymentId: string | undefined) => `Scaling activity initiated by (deployment ${deploymentId ?? 'none'})`,
  healthCheck: 'Task failed container health checks',
  /** ECS's stoppedReason for a task its target group found unhealthy (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/troubleshoot-service-load-balancers.html). */
  elbHealthCheck: (tg: string) => `Task failed ELB health checks in (target-group ${tg})`,
  essentialExited: 'Essential container in task exited',
  cannotPull: (detail: string) => `CannotPullContainerError: ${detail}`,
  cannotStart: (detail: string) => `CannotStartContainerError: ${detail}`,
};
