/**
 * GetAuthorizationToken (ECS-SEMANTICS §5): base64 of `AWS:<password>` for the sandbox registry,
 * valid 12 h, with the registry as `proxyEndpoint`.
 */
import type { Operations } from '../../operations.ts';
import { type EcrDeps, nowSeconds } from './common.ts';

/** The authorization operations. */
export function authorizationOperations({ ctx }: EcrDeps): Operations {
  return {
    GetAuthorizationToken() {
      const { username, password } = ctx.registryAuth;
      return {
        authorizationData: [
          {
            authorizationToken: Buffer.from(`${username}:${password}`).toString('base64'),
            expiresAt: nowSeconds() + 12 * 3600,
            proxyEndpoint: `http://${ctx.registryHost}`,
          },
        ],
      };
    },
  };
}
