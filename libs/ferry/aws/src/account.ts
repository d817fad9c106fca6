/**
 * Whose credentials a deploy runs with, checked against ferry.json's `accountId` before anything is
 * built. Pure over the IdentityPort (identity.ts: sts:GetCallerIdentity, loaded on first use).
 */
import { FerryError, type EnvironmentConfig } from '@ferry/core';
import type { CallerIdentity, IdentityPort } from './identity.ts';

/**
 * Where the SDK's credentials come from for `env`, in words, following the same precedence as
 * profileFor (clients.ts): AWS_PROFILE, then credentials in the process environment (which make
 * ferry skip ferry.json's profile), then ferry.json's profile, then the default chain. Pure.
 */
export function credentialSource(env: Pick<EnvironmentConfig, 'profile'>, processEnv: NodeJS.ProcessEnv): string {
  if (processEnv.AWS_PROFILE) {
    const keys = processEnv.AWS_ACCESS_KEY_ID ? ' (AWS_ACCESS_KEY_ID is set too, and ignored while a profile is set)' : '';
    return `the profile ${JSON.stringify(processEnv.AWS_PROFILE)} from AWS_PROFILE${keys}`;
  }
  const over = env.profile ? `, which override ferry.json's profile ${JSON.stringify(env.profile)}` : '';
  if (processEnv.AWS_ACCESS_KEY_ID && processEnv.AWS_SECRET_ACCESS_KEY) return `the environment variables AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY${over}`;
  if (processEnv.AWS_WEB_IDENTITY_TOKEN_FILE) return `the web identity token of AWS_WEB_IDENTITY_TOKEN_FILE (role ${processEnv.AWS_ROLE_ARN ?? 'from AWS_ROLE_ARN'})${over}`;
  if (processEnv.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || processEnv.AWS_CONTAINER_CREDENTIALS_FULL_URI) return `the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_*_URI)${over}`;
  if (env.profile) return `the profile ${JSON.stringify(env.profile)} from ferry.json`;
  return 'the default credential chain (the default profile, SSO or an instance role)';
}

/**
 * For an `aws` environment with `accountId`: the credentials must belong to that account.
 * Returns the caller (for the registry-account comparison); undefined when nothing is to check.
 */
export async function checkAccount(env: EnvironmentConfig, identity: IdentityPort, processEnv: NodeJS.ProcessEnv = process.env): Promise<CallerIdentity | undefined> {
  if (env.kind !== 'aws' || !env.accountId) return undefined;
  const caller = await identity.caller();
  if (caller.account === env.accountId) return caller;
  throw new FerryError(
    'AWS_CREDENTIALS',
    `The AWS credentials for environment '${env.name}' belong to account ${caller.account} (${caller.arn}), not to its accountId ${env.accountId} in ferry.json. ` +
      `They came from ${credentialSource(env, processEnv)}. Nothing was built or deployed. ` +
      `Unset the variables that should not win (e.g. \`unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN\`), set AWS_PROFILE to a profile of account ${env.accountId}, or fix accountId.`,
  );
}
