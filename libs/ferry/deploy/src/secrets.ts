/**
 * Secrets belong in a task definition's `secrets` (SSM parameter or Secrets Manager references,
 * resolved by ECS at task start), never as plaintext `environment` values that anyone with
 * DescribeTaskDefinition can read. Pure: the entry script refuses or warns.
 */
import { FerryError } from '@ferry/core';

const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|KEY|CREDENTIAL|PRIVATE)/i;
const SECRET_VALUE = /^(AKIA|ASIA)[A-Z0-9]{16}$|^-----BEGIN [A-Z ]*PRIVATE KEY/;
/** Public-key-ish names that are not secrets by themselves. */
const NOT_SECRET_NAME = /(PUBLIC_?KEY|KEY_?ID$|_KEYS?_URL$)/i;

/** Names of environment variables whose name or value looks like a secret. */
export function plaintextSecrets(environment: Record<string, string>): string[] {
  return Object.entries(environment)
    .filter(([name, value]) => (SECRET_NAME.test(name) && !NOT_SECRET_NAME.test(name)) || SECRET_VALUE.test(value ?? ''))
    .map(([name]) => name)
    .sort();
}

/**
 * Throws CONFIG_INVALID naming the variables, unless `allow` (then returns a warning line). Undefined
 * when there is nothing to say.
 */
export function checkPlaintextSecrets(project: string, environment: Record<string, string>, allow: boolean, template?: string): string | undefined {
  const names = plaintextSecrets(environment);
  if (!names.length) return undefined;
  const what = `${project}: environment ${names.join(', ')} look${names.length === 1 ? 's' : ''} like secret(s) in plaintext`;
  if (allow) return `${what}; deploying anyway (--allow-plaintext-secrets). Anyone who can describe the task definition can read them.`;
  throw new FerryError(
    'CONFIG_INVALID',
    (template
      ? // Template mode: secrets are the container's, written in the template (deploy.json's are refused there).
        `${what}. Move them to the container's "secrets" in ${template} as SSM parameter or Secrets Manager references ` +
        `(e.g. { "name": "${names[0]}", "valueFrom": "arn:aws:ssm:<region>:<account>:parameter/${project}/${names[0].toLowerCase()}" }), `
      : `${what}. Move them to "secrets" in deploy.json as SSM parameter or Secrets Manager references ` +
        `(e.g. "secrets": { "${names[0]}": "arn:aws:ssm:<region>:<account>:parameter/${project}/${names[0].toLowerCase()}" }), `) +
      'or pass --allow-plaintext-secrets if the value really is not secret.',
  );
}
