/**
 * The contract between the sandbox's parts. server.ts (HTTP, AWS JSON 1.1 protocol, stats, faults),
 * ecs/ (the ECS API and its controller) and ecr/ (the ECR API over the real registry) meet here.
 */

/** An AWS-shaped error: serialised as HTTP `status` with body `{"__type": type, "message": message}`. */
export class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

/** One API operation: takes the parsed JSON request body, returns the JSON response body. */
export type OperationHandler = (input: any) => Promise<unknown> | unknown;

/** A part of the sandbox that serves an AWS API and may run background work. */
export interface SandboxService {
  /** Operation name (e.g. `DescribeServices`) -> handler. */
  handlers: Record<string, OperationHandler>;
  /** Start background work (controllers, re-adopting containers after a restart). */
  start(): Promise<void>;
  /** Stop background work; `removeTasks` also stops and removes every task container (sandbox:down). */
  stop(opts: { removeTasks: boolean }): Promise<void>;
  /** Optional summary for `GET /_sandbox/info` (e.g. each service's load-balancer URL). */
  info?(): unknown;
}

/** Persistent JSON state under the data directory; every `update` is written atomically (temp file + rename). */
export interface StateStore<T> {
  get(): T;
  update(mutate: (state: T) => void): void;
}

/**
 * A state store written behind: `update` mutates and marks it dirty, `flush` writes once if anything
 * changed. The ECS part flushes at the end of each controller tick and of each API request, so a
 * request's change is on disk before the API answers while a tick writes at most once.
 */
export interface BufferedStateStore<T> extends StateStore<T> {
  /** Records that the state was changed in place (e.g. by pure transitions) so the next flush writes it. */
  markDirty(): void;
  /** Writes the state now when an update happened since the last flush; otherwise does nothing. */
  flush(): void;
}

export interface SandboxContext {
  /** Data directory (default `<workspace>/.sandbox`, or `FERRY_SANDBOX_DIR`). */
  dataDir: string;
  region: string; // 'us-east-1'
  accountId: string; // '000000000000'
  /** Host:port of the registry, e.g. `127.0.0.1:5000`. */
  registryHost: string;
  /** Registry credentials (htpasswd user). Never printed. */
  registryAuth: { username: string; password: string };
  /**
   * Every registry the sandbox hosts, one per account (ecr/registries.ts), the own account's first:
   * tasks pull from any of them with its credentials. Absent: `registryHost` only.
   */
  registries?: Array<{ accountId: string; host: string; auth: { username: string; password: string } }>;
  /** The local Node base image (`ferry-sandbox/node:20`), passed to builds as BASE_IMAGE. */
  baseImage: string;
  /** Open a persistent JSON state file `<dataDir>/state/<name>.json` with an initial value. */
  state<T>(name: string, initial: T): StateStore<T>;
  /** Label put on every container the sandbox starts, so down/cleanup finds them: `ferry.sandbox=<instance id>`. */
  containerLabel: { key: string; value: string };
  /** Where awslogs containers' output goes (the CloudWatch Logs part, logs/index.ts); absent: nowhere. */
  logs?: import('./logs/index.ts').LogSink;
  /** The ELBv2 part's target groups (elbv2/index.ts): the ECS part registers and drains its tasks there. */
  elb?: import('./elbv2/index.ts').ElbPort;
  /**
   * The ECS part's services (ecs/index.ts), for the parts that answer whether one exists (Application
   * Auto Scaling's RegisterScalableTarget). Absent: the sandbox runs without ECS, so no service exists.
   */
  ecsServices?: EcsServicesPort;
  log(message: string): void;
}

/** Whether an ECS service exists, as the ECS part knows it (cluster and service by name). */
export interface EcsServicesPort {
  /** The service's status (deleted ones stay INACTIVE); undefined when the cluster has no such service. */
  status(cluster: string, service: string): 'ACTIVE' | 'DRAINING' | 'INACTIVE' | undefined;
}
