/**
 * Applying lifecycle policies (ECS-SEMANTICS §5): every repository's policy is evaluated
 * (lifecycle.ts) and the expired images deleted: at once on PutLifecyclePolicy, 0.5 s after a push,
 * and every `intervalMs`. Evaluations run one after the other, so two never delete at once.
 */
import type { SandboxContext, StateStore } from '../context.ts';
import { evaluateLifecyclePolicy, parseLifecyclePolicy } from './lifecycle.ts';
import type { RegistryImages } from './registry-images.ts';
import type { EcrState, RepositoryRecord } from './store.ts';

/** Delay after a push before the policies are applied (pushes of several tags coalesce). */
const AFTER_PUSH_MS = 500;

/** Applies the lifecycle policies: on demand, shortly after pushes, and on a timer. */
export class LifecycleRunner {
  private timer: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;
  private applying: Promise<number> = Promise.resolve(0);

  constructor(
    private readonly ctx: Pick<SandboxContext, 'log'>,
    private readonly store: StateStore<EcrState>,
    private readonly images: RegistryImages,
  ) {}

  /** Applies every repository's policy now (after any evaluation under way); resolves to the number of images expired. */
  applyAll(): Promise<number> {
    this.applying = this.applying.then(async () => {
      let n = 0;
      for (const r of Object.values(this.store.get().repositories)) {
        try {
          n += await this.apply(r);
        } catch (err) {
          this.ctx.log(`ecr lifecycle: ${r.repositoryName}: ${(err as Error).message}`);
        }
      }
      return n;
    });
    return this.applying;
  }

  /** Applies the policies shortly (after a push). */
  schedule(): void {
    if (this.pending) clearTimeout(this.pending);
    this.pending = setTimeout(() => {
      this.pending = undefined;
      void this.applyAll();
    }, AFTER_PUSH_MS);
  }

  async start(intervalMs: number): Promise<void> {
    this.timer = setInterval(() => void this.applyAll(), intervalMs);
    this.timer.unref();
    await this.applyAll();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.pending) clearTimeout(this.pending);
    await this.applying;
  }

  private async apply(r: RepositoryRecord): Promise<number> {
    if (!r.lifecyclePolicyText) return 0;
    const policy = parseLifecyclePolicy(r.lifecyclePolicyText);
    const expired = evaluateLifecyclePolicy(policy, this.images.list(r), Date.now());
    for (const e of expired) {
      await this.images.delete(r, e.digest);
      this.ctx.log(`ecr lifecycle: expired ${r.repositoryName}@${e.digest} (rule ${e.rulePriority})`);
    }
    this.store.update((s) => {
      const cur = s.repositories[r.repositoryName];
      if (cur) cur.lifecycleEvaluatedAt = Math.floor(Date.now() / 1000);
    });
    return expired.length;
  }
}
