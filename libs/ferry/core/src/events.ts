/**
 * Libraries never write to the console: they emit typed events to a Reporter. The entry script picks
 * the renderer (libs/ferry/ui): spinners and colour on a TTY, plain lines in CI, one JSON document
 * with `--json`. Add a kind here and the compiler makes every renderer handle it.
 */
export type StepName =
  | 'tag'
  | 'build'
  | 'build-image'
  | 'push'
  /** promote: the image copied to the target registry. */
  | 'copy'
  | 'ensure-repository'
  | 'log-group'
  | 'register-task-definition'
  | 'update-service'
  | 'create-service'
  | 'rollout'
  | 'rollback'
  | 'health'
  | 'smoke'
  | 'diff'
  | 'lock'
  | 'cleanup'
  /** A one-off task (run) or a deploy's migration task. */
  | 'run-task'
  | 'migrate'
  /** ferry-managed Application Auto Scaling (deploy.json `autoscaling`). */
  | 'autoscaling'
  /** The preflight checks of `verify`. */
  | 'verify';

export interface RolloutDeploymentView {
  id: string;
  status: string; // PRIMARY | ACTIVE
  taskDefinition: string;
  desired: number;
  running: number;
  pending: number;
  failed: number;
  rolloutState?: string;
  rolloutStateReason?: string;
}

export type FerryEvent =
  /** A step of a target starts, finishes, is skipped (with why), or fails. */
  | { kind: 'step'; app: string; step: StepName; status: 'start' | 'done' | 'skip' | 'fail'; message: string; data?: Record<string, unknown> }
  /** Progress inside a long step (build output line, push layer, count). */
  | { kind: 'progress'; app: string; step: StepName; message: string }
  /** The rollout as seen by the watcher: sent whenever something changed. */
  | { kind: 'rollout'; app: string; deployments: RolloutDeploymentView[]; newEvents: string[] }
  | { kind: 'info'; app?: string; message: string }
  | { kind: 'warn'; app?: string; message: string }
  /** The machine-readable outcome of a target for one app; `--json` output is built from these. */
  | { kind: 'result'; app: string; target: string; ok: boolean; summary: string; data?: Record<string, unknown> }
  /** The end of a run: one row per app and environment (docs/output.md). */
  | { kind: 'summary'; summary: RunSummary };

/** What a run did to an app in an environment. */
export type RunOutcome = 'deployed' | 'up to date' | 'rolled back' | 'failed' | 'skipped' | 'done';

/** One phase of an app's run on the timeline: build, push, rollout (ms since the epoch). */
export interface RunPhase {
  name: 'build' | 'push' | 'rollout';
  start: number;
  end: number;
}

export interface RunSummaryRow {
  app: string;
  environment: string;
  result: RunOutcome;
  tag?: string;
  /** Task definition `family:revision` live at the end. */
  revision?: string;
  durationMs: number;
  url?: string;
  /** The targets that failed, in order. */
  failed?: string[];
  phases: RunPhase[];
}

export interface RunSummary {
  /** The run's session id. */
  run: string;
  startedAt: string;
  durationMs: number;
  ok: boolean;
  rows: RunSummaryRow[];
}

export interface Reporter {
  emit(event: FerryEvent): void;
}

/** A reporter that keeps events in memory: for tests and for building `--json` output. */
export class MemoryReporter implements Reporter {
  readonly events: FerryEvent[] = [];
  emit(event: FerryEvent): void {
    this.events.push(event);
  }
}
