/**
 * Lifecycle policies: PutLifecyclePolicy (validated as ECR does, then applied at once),
 * GetLifecyclePolicy, DeleteLifecyclePolicy (ECS-SEMANTICS §5).
 */
import { AwsError } from '../../context.ts';
import type { Operations } from '../../operations.ts';
import { parseLifecyclePolicy } from '../lifecycle.ts';
import type { RepositoryRecord } from '../store.ts';
import { type EcrDeps, repositoryOf } from './common.ts';

/** The lifecycle policy operations. */
export function lifecyclePolicyOperations(deps: EcrDeps): Operations {
  const { ctx, store, lifecycle } = deps;
  const notFound = (r: RepositoryRecord) =>
    new AwsError('LifecyclePolicyNotFoundException', `Lifecycle policy does not exist for the repository with name '${r.repositoryName}' in the registry with id '${ctx.accountId}'`);
  return {
    async PutLifecyclePolicy(input) {
      const r = repositoryOf(deps, input.repositoryName);
      parseLifecyclePolicy(input.lifecyclePolicyText);
      store.update((s) => {
        s.repositories[r.repositoryName].lifecyclePolicyText = input.lifecyclePolicyText;
      });
      // AWS applies within 24 h; the sandbox applies at once so tests and demos see the effect.
      await lifecycle.applyAll();
      return { registryId: ctx.accountId, repositoryName: r.repositoryName, lifecyclePolicyText: input.lifecyclePolicyText };
    },

    GetLifecyclePolicy(input) {
      const r = repositoryOf(deps, input.repositoryName);
      if (!r.lifecyclePolicyText) throw notFound(r);
      return {
        registryId: ctx.accountId,
        repositoryName: r.repositoryName,
        lifecyclePolicyText: r.lifecyclePolicyText,
        lastEvaluatedAt: r.lifecycleEvaluatedAt,
      };
    },

    DeleteLifecyclePolicy(input) {
      const r = repositoryOf(deps, input.repositoryName);
      if (!r.lifecyclePolicyText) throw notFound(r);
      const text = r.lifecyclePolicyText;
      store.update((s) => {
        delete s.repositories[r.repositoryName].lifecyclePolicyText;
      });
      return { registryId: ctx.accountId, repositoryName: r.repositoryName, lifecyclePolicyText: text, lastEvaluatedAt: r.lifecycleEvaluatedAt };
    },
  };
}
