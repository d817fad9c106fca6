/**
 * The ECS sandbox's persisted state. Everything the API returns is derived from this one JSON
 * document (`<dataDir>/ecs.json`), so a sandbox restart loses nothing. Internal bookkeeping that
 * never reaches the wire lives under `_` members and is stripped by the serialisers in views.ts.
 */

export interface Tag {
  key: string;
  value: string;
}

export interface ClusterRecord {
  name: string;
  arn: string;
  status: 'ACTIVE' | 'INACTIVE';
  tags: Tag[];
  settings?: unknown;
  createdAt: number;
}

/** A registered task definition revision exactly as DescribeTaskDefinition returns it. */
export interface TaskDefRecord {
  [field: string]: any;
  taskDefinitionArn: string;
  family: string;
  revision: number;
  status: 'ACTIVE' | 'INACTIVE';
  containerDefinitions: ContainerDef[];
  registeredAt: number;
}

export interface HealthCheckDef {
  command: string[];
  interval?: number;
  timeout?: number;
  retries?: number;
  startPeriod?: number;
}

export interface ContainerDef {
  [field: string]: any;
  name: string;
  image: string;
  essential?: boolean;
  command?: string[];
  entryPoint?: string[];
  environment?: { name: string; value: string }[];
  secrets?: { name: string; valueFrom: string }[];
  portMappings?: { containerPort?: number; hostPort?: number; protocol?: string }[];
  healthCheck?: HealthCheckDef;
  stopTimeout?: number;
}

export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

/** ServiceDeployment status of ListServiceDeployments / DescribeServiceDeployments. */
export type ServiceDeploymentStatus =
  | 'PENDING'
  | 'IN_PROGRESS'
  | 'SUCCESSFUL'
  | 'STOPPED'
  | 'STOP_REQUESTED'
  | 'ROLLBACK_REQUESTED'
  | 'ROLLBACK_IN_PROGRESS'
  | 'ROLLBACK_SUCCESSFUL'
  | 'ROLLBACK_FAILED';

/** One deployment of a service; kept in the service's history after it leaves `deployments[]`. */
export interface DeploymentRecord {
  id: string; // ecs-svc/<digits>
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  taskDefinition: string;
  createdAt: number;
  updatedAt: number;
  rolloutState: RolloutState;
  rolloutStateReason: string;
  failedTasks: number;
  /** Service-deployment view (§4). */
  sdStatus: ServiceDeploymentStatus;
  sdStatusReason?: string;
  startedAt?: number;
  finishedAt?: number;
  /** The service deployment stopped (rollback off and the circuit breaker tripped, or superseded). */
  stoppedAt?: number;
  /** Deployment ids that were running when this one started. */
  sources: string[];
  rollback?: { reason: string; startedAt: number; serviceRevisionArn: string };
  /** The circuit breaker gave up on this deployment (FAILED, with or without rollback). */
  circuitBreakerTriggered?: boolean;
  /**
   * This deployment is ECS's circuit-breaker rollback of the (FAILED) deployment with this id: a new
   * deployment of the last COMPLETED revision. It is part of the failed one's service deployment
   * (ROLLBACK_IN_PROGRESS there), not a service deployment of its own.
   */
  rollbackOf?: string;
  /** When the circuit breaker failed it (epoch ms): a FAILED deployment stays in `deployments[]` at least a while. */
  failedAtMs?: number;
}

export interface CircuitBreakerConfig {
  enable: boolean;
  rollback: boolean;
  resetOnHealthyTask?: boolean;
  thresholdConfiguration?: { type: 'COUNT' | 'BOUNDED_PERCENT' | 'UNBOUNDED_PERCENT'; value: number };
}

export interface DeploymentConfiguration {
  minimumHealthyPercent: number;
  maximumPercent: number;
  deploymentCircuitBreaker: CircuitBreakerConfig;
  [field: string]: unknown;
}

export interface ServiceEvent {
  id: string;
  createdAt: number;
  message: string;
}

export interface ServiceRecord {
  serviceName: string;
  serviceArn: string;
  clusterName: string;
  clusterArn: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  taskDefinition: string;
  desiredCount: number;
  launchType: string;
  /** CreateService's strategy (FARGATE / FARGATE_SPOT); tasks then run with launchType FARGATE. */
  capacityProviderStrategy?: { capacityProvider: string; weight?: number; base?: number }[];
  schedulingStrategy: 'REPLICA';
  deploymentConfiguration: DeploymentConfiguration;
  loadBalancers: { containerName?: string; containerPort?: number; targetGroupArn?: string; loadBalancerName?: string }[];
  networkConfiguration?: unknown;
  healthCheckGracePeriodSeconds?: number;
  propagateTags?: string;
  enableECSManagedTags: boolean;
  enableExecuteCommand: boolean;
  tags: Tag[];
  createdAt: number;
  createdBy: string;
  /** PRIMARY first, then ACTIVE; INACTIVE ones move to `history`. */
  deployments: DeploymentRecord[];
  history: DeploymentRecord[];
  events: ServiceEvent[];
  /** Bookkeeping: whether the "unable to stop or start" event was already sent for this stall. */
  _stalled?: boolean;
  /** Bookkeeping: the last steady-state message time, to repeat it at most every 6 h like ECS. */
  _steadyAt?: number;
  deletedAt?: number;
}

export type TaskLastStatus =
  | 'PROVISIONING'
  | 'PENDING'
  | 'ACTIVATING'
  | 'RUNNING'
  | 'DEACTIVATING'
  | 'STOPPING'
  | 'DEPROVISIONING'
  | 'STOPPED';

export type HealthStatus = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';

export interface TaskContainerRecord {
  containerArn: string;
  name: string;
  image: string;
  /** The manifest digest the image resolved to when it was pulled (DescribeTasks `containers[].imageDigest`, model `Container`). */
  imageDigest?: string;
  lastStatus: string;
  exitCode?: number;
  reason?: string;
  healthStatus: HealthStatus;
  essential: boolean;
  /** Docker container id. */
  _dockerId?: string;
  /** The stopped container was removed (only the newest stopped tasks of a service keep theirs, for their output). */
  _removed?: boolean;
}

/** RunTask `overrides` (model `TaskOverride`), as the task keeps and DescribeTasks returns them. */
export interface TaskOverrides {
  [field: string]: unknown;
  containerOverrides?: { name?: string; command?: string[]; environment?: { name?: string; value?: string }[]; [field: string]: unknown }[];
}

export interface TaskRecord {
  taskArn: string;
  id: string;
  clusterName: string;
  clusterArn: string;
  taskDefinitionArn: string;
  lastStatus: TaskLastStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  healthStatus: HealthStatus;
  launchType: string;
  startedBy?: string;
  group: string;
  createdAt: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  stoppingAt?: number;
  executionStoppedAt?: number;
  stoppedAt?: number;
  stopCode?: string;
  stoppedReason?: string;
  containers: TaskContainerRecord[];
  tags: Tag[];
  /** RunTask's `overrides` (containerOverrides' command and environment are applied at launch). */
  overrides?: TaskOverrides;
  capacityProviderName?: string;
  /** Owning service key `<cluster>/<service>` (absent for standalone tasks). */
  _service?: string;
  /** The host port handed to the app as $PORT. */
  _port?: number;
  /** The ELBv2 target group the task is registered in (as `127.0.0.1:<_port>`), when its service names one. */
  _tg?: string;
  /** The task's target is `healthy` in `_tg` (a task in a target group counts toward the deployment only then). */
  _targetHealthy?: boolean;
  /** When the task began counting toward minimumHealthyPercent (health check passed or grace over). */
  _healthyAt?: number;
  /** The controller already counted this task's failure against its deployment. */
  _failureCounted?: boolean;
}

export interface EcsState {
  clusters: Record<string, ClusterRecord>;
  /** family -> revisions, index = revision - 1. */
  taskDefinitions: Record<string, TaskDefRecord[]>;
  /** task definition ARN -> tags. */
  taskDefinitionTags: Record<string, Tag[]>;
  /** `<cluster>/<service>` -> service (deleted ones stay INACTIVE). */
  services: Record<string, ServiceRecord>;
  /** task id -> task. */
  tasks: Record<string, TaskRecord>;
  nextDeploymentNumber: number;
}

export const initialEcsState = (): EcsState => ({
  clusters: {},
  taskDefinitions: {},
  taskDefinitionTags: {},
  services: {},
  tasks: {},
  nextDeploymentNumber: 1,
});

export const nowSeconds = (): number => Date.now() / 1000;

/** The registered revision an ARN (`…:task-definition/<family>:<revision>`) names, if any. */
export function taskDefinitionByArn(state: EcsState, arn: string): TaskDefRecord | undefined {
  const m = /:task-definition\/([^:]+):(\d+)$/.exec(arn);
  return m ? state.taskDefinitions[m[1]]?.[Number(m[2]) - 1] : undefined;
}
