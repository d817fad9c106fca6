/**
 * The shapes of ferry's configuration. This file is the contract between the config loader
 * (config.ts validates raw JSON into these types), the Nx plugin, and the pipeline libs.
 *
 * Two files configure ferry:
 *  - `<projectRoot>/deploy.json`: one deployable app (AppDeployConfig). Its presence is what makes
 *    the Nx plugin infer the deploy targets for that project.
 *  - `ferry.json` at the workspace root: workspace settings and the environments (WorkspaceConfig).
 *
 * Both are validated on load; JSON schemas for editor completion live in `libs/ferry/core/schema/`.
 */
import type { Violation } from './aws-models.ts';

/** A declarative HTTP check run by `smoke-test` through the service URL. */
export interface SmokeCheck {
  name: string;
  /** HTTP method, default GET. */
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  /** Path starting with `/`. */
  path: string;
  /** Request body (sent as JSON when an object). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Expected HTTP status, default 200. */
  expectStatus?: number;
  /** The response body must contain this text. */
  bodyContains?: string;
  /** Each key is a dotted JSON path (`a.b.0.c`); the value at that path must equal the given value. */
  jsonEquals?: Record<string, unknown>;
  /** Latency budget in milliseconds. */
  maxLatencyMs?: number;
}

/** Container health check as ECS defines it (seconds). */
export interface ContainerHealthCheck {
  command: string[];
  interval?: number;
  timeout?: number;
  retries?: number;
  startPeriod?: number;
}

/** An ECS container `logConfiguration`, passed through as written. */
export interface LogConfiguration {
  logDriver: string;
  options?: Record<string, string>;
  secretOptions?: { name: string; valueFrom: string }[];
}

/**
 * `logs` in deploy.json. Default (`{}`): the awslogs driver to `/ferry/<cluster>/<service>`, stream
 * prefix the project name, 30 days retention, the group created by ferry. `logConfiguration`:
 * passed through as the container's (FireLens, another driver), no group created.
 */
export interface LogsSettings {
  group?: string;
  streamPrefix?: string;
  /** Days CloudWatch Logs keeps the group's events (a value PutRetentionPolicy accepts). */
  retentionDays?: number;
  logConfiguration?: LogConfiguration;
}

export interface DeploymentSettings {
  /** Default 100. */
  minimumHealthyPercent?: number;
  /** Default 200. */
  maximumPercent?: number;
  circuitBreaker?: { enable: boolean; rollback: boolean };
  /** How long deploy-app waits for the rollout, seconds. Default 600. */
  timeoutSeconds?: number;
}

/** One target-tracking policy of `autoscaling` (named `ferry-<metric>` in Application Auto Scaling). */
export interface TargetTrackingSettings {
  /** cpu: ECSServiceAverageCPUUtilization, memory: ECSServiceAverageMemoryUtilization, requests: ALBRequestCountPerTarget. */
  metric: 'cpu' | 'memory' | 'requests';
  /** TargetValue: a percentage for cpu and memory, requests per target for requests. */
  target: number;
  scaleInCooldown?: number;
  scaleOutCooldown?: number;
}

/** `autoscaling` in deploy.json: ferry-managed Application Auto Scaling of the service's desired count. */
export interface AutoscalingSettings {
  min: number;
  max: number;
  targetTracking: TargetTrackingSettings[];
}

/** `loadBalancer` in deploy.json: the ELBv2 target group the service's tasks register in. */
export interface LoadBalancerSettings {
  /** An existing target group; without one ferry provisions a load balancer in the sandbox and attaches none on AWS. */
  targetGroupArn?: string;
  /** The container the target group reaches (default: the app's containerName). */
  containerName?: string;
  /** Its port (default: the app's containerPort). */
  containerPort?: number;
  /** How long ECS ignores failing ELB health checks of a new task. */
  healthCheckGracePeriodSeconds?: number;
}

export interface LifecyclePolicySettings {
  /** Keep the newest N tagged images. Default 30. */
  keepTaggedImages?: number;
  /** Expire untagged images after N days. Default 1. */
  untaggedExpireDays?: number;
}

/** `<projectRoot>/deploy.json` after validation and defaults. */
/** `migrate` in deploy.json, normalised: the command as arguments, its timeout and extra environment. */
export interface MigrateSettings {
  command: string[];
  /** Default 900. */
  timeoutSeconds: number;
  environment: Record<string, string>;
}

export interface AppDeployConfig {
  /** Absolute path of the file this came from (filled by the loader, not written by users). */
  file: string;
  /** Nx project name (filled by the loader). */
  project: string;
  /** ECR repository name (default: the project name). */
  repository: string;
  /** ECS service name (default: the project name). */
  service: string;
  /** Task definition family (default: `<service>`). */
  family: string;
  /** Container name inside the task definition (default: the project name). */
  containerName: string;
  /** Dockerfile path relative to the project root (default `Dockerfile`). */
  dockerfile: string;
  /** Build context relative to the project root (default `.`). */
  context: string;
  /** Docker build args (values must be strings). */
  buildArgs: Record<string, string>;
  /** Target platform, default `linux/amd64`. */
  platform: string;
  /** Port the container listens on; absent for workers with no HTTP port. */
  containerPort?: number;
  desiredCount: number;
  cpu: string;
  memory: string;
  environment: Record<string, string>;
  /** name -> SSM parameter or Secrets Manager ARN (valueFrom). */
  secrets: Record<string, string>;
  /** HTTP health endpoint, checked through the service URL by health-check. Absent for workers. */
  healthCheckPath?: string;
  /**
   * Base URL the service answers at (e.g. `https://api.staging.example.com`), used by health-check
   * and smoke-test for `aws` environments; set it per environment under `environments.<env>.url`.
   * Sandbox services need none: the sandbox's load balancer URL is read from the service.
   */
  url?: string;
  /** Expected status of the health endpoint, default 200. */
  healthCheckStatus: number;
  containerHealthCheck?: ContainerHealthCheck;
  /** Seconds between ECS's SIGTERM and SIGKILL for the container (ECS default 30; Fargate 2–120). Sent only when set. */
  stopTimeout?: number;
  /** `linuxParameters.initProcessEnabled`: an init process as PID 1 (a Node server that ignores SIGTERM as PID 1 then stops at once). Sent only when set. */
  initProcessEnabled?: boolean;
  /** Container logs (see LogsSettings); `false`: ferry leaves the container's log configuration alone. */
  logs: false | LogsSettings;
  smoke: { checks: SmokeCheck[]; script?: string };
  deployment: Required<Omit<DeploymentSettings, 'circuitBreaker'>> & {
    circuitBreaker: { enable: boolean; rollback: boolean };
    /**
     * The deployment settings deploy.json wrote for this environment: only these are sent to a
     * service ferry did not create (the defaults apply on CreateService only). Filled by the loader.
     */
    declared?: ('minimumHealthyPercent' | 'maximumPercent' | 'circuitBreaker')[];
    /** Whether deploy.json set timeoutSeconds (otherwise the default grows with the target group's health-check timing and deregistration delay). */
    timeoutExplicit?: boolean;
  };
  /** The service's load balancer (see LoadBalancerSettings). */
  loadBalancer?: LoadBalancerSettings;
  /** ferry-managed autoscaling of the desired count (see AutoscalingSettings); absent: ferry manages none. */
  autoscaling?: AutoscalingSettings;
  lifecycle: Required<LifecyclePolicySettings>;
  /** Revisions of the task definition kept per service (older ones deregistered). Default 10. */
  keepRevisions: number;
  /**
   * After a COMPLETED rollout in the same run, which failed checks return the service to the
   * previous revision automatically: `health` (health-check), `smoke` (smoke-test). Default both.
   */
  rollbackOn: ('health' | 'smoke')[];
  /**
   * The migration: a one-off task run with the new revision before deploy-app changes the service,
   * only when the content tag changed. Absent (or `false` in deploy.json): none.
   */
  migrate?: MigrateSettings;
  /**
   * How `environment` and `secrets` apply to a live task definition: `merge` (default) sets the
   * declared keys and keeps the container's others; `replace` makes them exactly the declared ones.
   */
  environmentMode: 'merge' | 'replace';
  /** Launch type of a service ferry creates; absent: FARGATE unless `capacityProviderStrategy` is set. */
  launchType?: 'FARGATE' | 'EC2' | 'EXTERNAL';
  /** Capacity provider strategy of a service ferry creates (FARGATE, FARGATE_SPOT, EC2 providers). */
  capacityProviderStrategy?: CapacityProviderItem[];
  /** Task role of the app's containers. */
  taskRoleArn?: string;
  /** Task execution role (default on new task definitions: the environment's). */
  executionRoleArn?: string;
  /**
   * Template mode: a JSON task definition (RegisterTaskDefinition's input with placeholders), relative
   * to the project root, registered as written instead of patching the live revision (task-template.ts).
   */
  taskDefinition?: string;
  /** The loaded template when `taskDefinition` is set (filled by resolveApp, not written by users). */
  template?: TaskTemplate;
  /**
   * The top-level fields deploy.json wrote for this environment (its base fields and
   * `environments.<env>`), before defaults: filled by the loader. Patching a live task definition
   * changes only these (besides the image); defaults apply only to what ferry creates.
   */
  declared: DeclaredField[];
  /** Per-environment overrides, shallow-merged over the fields above by `resolveAppConfig`. */
  environments: Record<string, Partial<Omit<AppDeployConfig, 'file' | 'project' | 'environments' | 'declared'>>>;
}

/** A task definition template (deploy.json `taskDefinition`) as loaded: see task-template.ts. */
export interface TaskTemplate {
  /** Absolute path of the template file. */
  file: string;
  /** The file as messages name it (relative to the workspace root). */
  shown: string;
  /** The JSON as written, placeholders included. */
  raw: Record<string, unknown>;
  /** `${app:<project>.url}` values, once resolved for this run (withResolvedAppUrls). */
  urls?: Record<string, string>;
  /** The check a rendered template must pass: ECS's RegisterTaskDefinition input (the run's `registerInputCheck`). */
  check: RegisterInputCheck;
}

/** Checks a value against RegisterTaskDefinition's input shape; [] when it conforms. */
export type RegisterInputCheck = (value: unknown) => Violation[];

/** A field deploy.json can declare (a top-level key of AppDeployConfig). */
export type DeclaredField = Exclude<keyof AppDeployConfig, 'file' | 'project' | 'environments' | 'declared' | 'template'>;

/** One entry of `capacityProviderStrategy`. */
export interface CapacityProviderItem {
  capacityProvider: string;
  weight?: number;
  base?: number;
}

/** One target environment in `ferry.json`. */
export interface EnvironmentConfig {
  name: string;
  /** `sandbox` talks to the local sandbox; `aws` to real AWS via the standard credential chain. */
  kind: 'sandbox' | 'aws';
  region: string;
  cluster: string;
  /** AWS account id: for `aws`, the account the credentials must belong to (checked first); the sandbox uses 000000000000. */
  accountId?: string;
  /** Registry host, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com` or `127.0.0.1:5000`. Optional: derived from GetAuthorizationToken's proxyEndpoint. */
  registry?: string;
  /**
   * The account of the environment's ECR registry when it is not the caller's (a central registry
   * account; in the sandbox, one of the extra registries of FERRY_SANDBOX_REGISTRY_ACCOUNTS): every
   * ECR call names it. For `aws`, an ECR host in `registry` says the same.
   */
  registryId?: string;
  /** Endpoint override for the ECS and ECR APIs (the sandbox's `http://127.0.0.1:4566`). */
  endpoint?: string;
  /** AWS profile for `aws` environments. */
  profile?: string;
  /** Execution role ARN put on new task definitions (aws). */
  executionRoleArn?: string;
  /** Networking for awsvpc services (aws). */
  network?: { subnets: string[]; securityGroups: string[]; assignPublicIp?: boolean };
  /** Build args added for every app in this environment (e.g. the sandbox's BASE_IMAGE). */
  buildArgs?: Record<string, string>;
  /**
   * How many tasks one Nx run (one batch process) works on at once for this environment: the
   * per-process share of the account's API budget. Default 8; `FERRY_MAX_PARALLEL` overrides it.
   */
  maxParallel?: number;
  /** Webhooks that receive the run summary at the end of a run (ui/notify.ts, docs/output.md). */
  notify?: NotifyTarget[];
}

/** A webhook of `notify`: a URL (ferry's JSON document), or a URL with the message format. */
export type NotifyTarget = string | { url: string; format?: 'json' | 'slack' };

/** `ferry.json` after validation. */
export interface WorkspaceConfig {
  file: string;
  defaultEnvironment: string;
  environments: Record<string, EnvironmentConfig>;
}

/** The app config with the environment's overrides applied: what every target works from. */
export interface ResolvedApp {
  app: AppDeployConfig;
  env: EnvironmentConfig;
  /** Absolute path of the Nx project root. */
  projectRoot: string;
  /** Absolute path of the workspace root. */
  workspaceRoot: string;
}
