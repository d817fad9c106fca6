/** Repositories: CreateRepository, DescribeRepositories, DeleteRepository (ECS-SEMANTICS §5). */
import { AwsError } from '../../context.ts';
import type { Operations } from '../../operations.ts';
import { paginate } from '../images.ts';
import { assertRepositoryName } from '../names.ts';
import { repositoryNotFound, repositoryOutput, type RepositoryRecord } from '../store.ts';
import { type EcrDeps, nowSeconds, repositoryOf } from './common.ts';

/** The repository operations. */
export function repositoryOperations(deps: EcrDeps): Operations {
  const { ctx, store, images } = deps;
  return {
    CreateRepository(input) {
      assertRepositoryName(input.repositoryName);
      const name: string = input.repositoryName;
      const mutability = input.imageTagMutability ?? 'MUTABLE';
      if (mutability !== 'MUTABLE' && mutability !== 'IMMUTABLE') {
        throw new AwsError('InvalidParameterException', `imageTagMutability '${mutability}' is not supported by the sandbox; use MUTABLE or IMMUTABLE`);
      }
      if (store.get().repositories[name]) {
        throw new AwsError('RepositoryAlreadyExistsException', `The repository with name '${name}' already exists in the registry with id '${ctx.accountId}'`);
      }
      const record: RepositoryRecord = {
        repositoryName: name,
        createdAt: nowSeconds(),
        imageTagMutability: mutability,
        imageScanningConfiguration: { scanOnPush: input.imageScanningConfiguration?.scanOnPush === true },
        encryptionConfiguration: input.encryptionConfiguration ?? { encryptionType: 'AES256' },
        tags: Array.isArray(input.tags) ? input.tags : [],
        pushedAt: {},
      };
      store.update((s) => {
        s.repositories[name] = record;
      });
      return { repository: repositoryOutput(ctx, record) };
    },

    DescribeRepositories(input) {
      const all = store.get().repositories;
      let list: RepositoryRecord[];
      if (input.repositoryNames !== undefined) {
        if (!Array.isArray(input.repositoryNames) || input.repositoryNames.length === 0) throw new AwsError('InvalidParameterException', 'repositoryNames must be a non-empty list');
        list = input.repositoryNames.map((n: string) => {
          if (!all[n]) throw repositoryNotFound(ctx, n);
          return all[n];
        });
      } else {
        list = Object.values(all).sort((a, b) => a.repositoryName.localeCompare(b.repositoryName));
      }
      const { page, nextToken } = paginate(list, input.maxResults, input.nextToken);
      return { repositories: page.map((r) => repositoryOutput(ctx, r)), nextToken };
    },

    async DeleteRepository(input) {
      const r = repositoryOf(deps, input.repositoryName);
      const list = images.list(r);
      if (list.length > 0 && input.force !== true) {
        throw new AwsError(
          'RepositoryNotEmptyException',
          `The repository with name '${r.repositoryName}' in registry with id '${ctx.accountId}' cannot be deleted because it still contains images`,
        );
      }
      for (const img of list) await images.registry.deleteManifest(r.repositoryName, img.digest);
      images.registry.removeRepository(r.repositoryName);
      store.update((s) => {
        delete s.repositories[r.repositoryName];
      });
      return { repository: repositoryOutput(ctx, r) };
    },
  };
}
