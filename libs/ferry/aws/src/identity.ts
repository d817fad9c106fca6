/**
 * Whose credentials these are: sts:GetCallerIdentity (needs no IAM permission) before anything is
 * built, so a deploy meant for one account never runs with another's credentials. The classic
 * cause is a leftover AWS_ACCESS_KEY_ID in the shell overriding the profile in ferry.json: the
 * error names which credential source won.
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
 */
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { attempt } from './errors.ts';

export interface CallerIdentity {
  account: string;
  arn: string;
}

export interface IdentityPort {
  /** The caller's account and ARN (asked once per port: the answer does not change within a run). */
  caller(): Promise<CallerIdentity>;
}

export function identityPort(client: STSClient): IdentityPort {
  let answer: Promise<CallerIdentity> | undefined;
  return {
    caller() {
      answer ??= attempt('check whose AWS credentials these are (sts:GetCallerIdentity)', async () => {
        const r = await client.send(new GetCallerIdentityCommand({}));
        return { account: r.Account ?? '', arn: r.Arn ?? '' };
      });
      answer.catch(() => (answer = undefined));
      return answer;
    },
  };
}
