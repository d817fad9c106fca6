/**
 * What the text output of one run has already said, so the tasks of a batch do not repeat one
 * another (docs/output.md, "One line per step and outcome"). Each task has its own reporter; this
 * is the part they share, kept in the run's session.
 *
 * Without --verbose, in a run that ends with the summary table, an app's chain reads:
 *   - the image: build-image's line (`skipped — … is already in the registry` or `done — built …`);
 *     push's "already pushed" is not repeated after build-image found the image in the registry;
 *   - the rollout: deploy-app's lines;
 *   - the checks: health-check and smoke-test of the same app as ONE line (`checks: ok — …`);
 *     health-check's line waits for the smoke-test planned after it;
 *   - nothing from the composite `deploy`: its URL, tag and revision are the summary table's row.
 * A no-op is therefore three lines per app. JSON output keeps every event.
 */
import { sessionPart, type FerryEvent } from '@ferry/core';

type ResultEvent = Extract<FerryEvent, { kind: 'result' }>;

const key = (app: string, target: string) => `${app}\0${target}`;

export class Narration {
  /** Targets planned in this run and not finished yet, by app and target. */
  private readonly pending = new Map<string, number>();
  /** Apps whose image build-image found in the registry. */
  private readonly imageInRegistry = new Set<string>();
  /** health-check results waiting for the same app's smoke-test. */
  private readonly held = new Map<string, ResultEvent>();
  /** Whether the run ends with a summary table (a batch does). */
  summaryFollows = false;

  /** The batch's tasks, before any starts. */
  plan(tasks: readonly { app: string; target: string }[]): void {
    for (const t of tasks) this.pending.set(key(t.app, t.target), (this.pending.get(key(t.app, t.target)) ?? 0) + 1);
    this.summaryFollows = tasks.length > 0;
  }

  /** A planned task ended (ran, failed or was skipped). */
  finished(app: string, target: string): void {
    const n = (this.pending.get(key(app, target)) ?? 0) - 1;
    if (n > 0) this.pending.set(key(app, target), n);
    else this.pending.delete(key(app, target));
  }

  /**
   * The events of `target`'s task for `app` to print now, in place of `e` (already folded by
   * OutcomeFolder). Pure apart from this run's memory.
   */
  shape(e: FerryEvent, target: string): FerryEvent[] {
    if (e.kind === 'step' && e.step === 'build-image' && e.status === 'skip') this.imageInRegistry.add(e.app);
    if (e.kind === 'step' && e.step === 'push' && e.status === 'skip' && target === 'push' && this.imageInRegistry.has(e.app)) return [];
    if (e.kind !== 'result') return [e];
    if (e.target === 'health-check' && e.ok && !e.data?.dryRun && this.pending.has(key(e.app, 'smoke-test'))) {
      this.held.set(e.app, e);
      return [];
    }
    if (e.target === 'smoke-test') {
      const health = this.take(e.app);
      if (!health) return [e];
      return e.ok ? [checksResult(health, e)] : [health, e];
    }
    if (e.target === 'deploy' && e.ok && this.summaryFollows) return [];
    return [e];
  }

  /** The health-check line held for `app`, if any (printed by whoever ends the app's checks). */
  take(app: string): ResultEvent | undefined {
    const h = this.held.get(app);
    this.held.delete(app);
    return h;
  }

  /** Every held line (the run ended before their smoke-test reported). */
  drain(): ResultEvent[] {
    const all = [...this.held.values()];
    this.held.clear();
    return all;
  }
}

export const narration = sessionPart('narration', () => new Narration());

const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined);

/**
 * health-check's and smoke-test's results as one `checks` line:
 * `ECS ACTIVE 2/2 running, COMPLETED; /health 200 in 12 ms; targets 2 healthy; smoke 5/5 passed`. Pure.
 */
export function checksResult(health: ResultEvent, smoke: ResultEvent): ResultEvent {
  const h = obj(health.data) ?? {};
  const parts: string[] = [];
  const ecs = obj(h.ecs);
  parts.push(typeof ecs?.summary === 'string' ? `ECS ${ecs.summary.replace(/, 1 deployment\(s\)/, '')}` : health.summary);
  const http = obj(h.http);
  if (http && typeof h.url === 'string') {
    let path = h.url;
    try {
      path = new URL(h.url).pathname;
    } catch {
      // not a URL: show it as it is
    }
    parts.push(`${path} ${http.status ?? http.error} in ${http.latencyMs} ms`);
  }
  if (Array.isArray(h.targets)) parts.push(`targets ${h.targets.filter((t) => obj(t)?.state === 'healthy').length}/${h.targets.length} healthy`);
  const s = obj(smoke.data);
  if (s && typeof s.passed === 'number' && Array.isArray(s.results)) parts.push(`smoke ${s.passed}/${s.results.length} passed`);
  else parts.push(smoke.summary === 'no smoke checks configured' ? 'no smoke checks' : `smoke: ${smoke.summary}`);
  return { kind: 'result', app: smoke.app, target: 'checks', ok: true, summary: parts.join('; '), data: { health: health.data, smoke: smoke.data } };
}
