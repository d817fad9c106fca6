/**
 * Secrets belong in a task definition's `secrets` (SSM parameter or Secrets Manager references,
 * resolved by ECS at task start), never as plaintext `environment` values that anyone with
 * DescribeTaskDefinition can read. Pure: the entry script refuses or warns.
 */
import { FerryError, renderTemplate, standInValues, type AppDeployConfig, type EnvironmentConfig } from '@ferry/core';

const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|KEY|CREDENTIAL|PRIVATE)/i;
const SECRET_VALUE = /^(AKIA|ASIA)[A-Z0-9]{16}$|^-----BEGIN [A-Z ]*PRIVATE KEY/;
/** Public-key-ish names that are not secrets by themselves. */
const NOT_SECRET_NAME = /(PUBLIC_?KEY|KEY_?ID$|_KEYS?_URL$)/i;

const looksSecret = (name: string, value: string | undefined) => (SECRET_NAME.test(name) && !NOT_SECRET_NAME.test(name)) || SECRET_VALUE.test(value ?? '');

/** Names of environment variables whose name or value looks like a secret. */
export function plaintextSecrets(environment: Record<string, string>): string[] {
  return Object.entries(environment)
    .filter(([name, value]) => looksSecret(name, value))
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

type Json = Record<string, unknown>;

/** A plaintext `environment` entry of a task-definition template that looks like a secret. */
export interface TemplateSecret {
  /** JSON path of the entry in the template (`containerDefinitions[1].environment[0]`). */
  path: string;
  name: string;
  container: string;
}

/**
 * Template mode's plaintext secrets: the `environment` entries of every container of the rendered
 * template (sidecars too) whose name or value looks like a secret, by the rule plaintextSecrets
 * applies to deploy.json's environment. An entry written as exactly `${env.NAME}`, NAME one of
 * `covered` (deploy.json variables plaintextSecrets already names), is left to that check. `raw` is
 * the template as written (the same shape: rendering only fills strings). Pure.
 */
export function templatePlaintextSecrets(rendered: Json, raw: Json, covered: ReadonlySet<string> = new Set()): TemplateSecret[] {
  const list = (x: unknown): Json[] => (Array.isArray(x) ? (x as Json[]) : []);
  const rawContainers = list(raw.containerDefinitions);
  const out: TemplateSecret[] = [];
  list(rendered.containerDefinitions).forEach((c, i) => {
    const rawEnv = list(rawContainers[i]?.environment);
    list(c?.environment).forEach((e, j) => {
      const name = typeof e?.name === 'string' ? e.name : '';
      const value = typeof e?.value === 'string' ? e.value : undefined;
      const written = rawEnv[j]?.value;
      const fromDeployJson = typeof written === 'string' ? /^\$\{env\.([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(written)?.[1] : undefined;
      if (fromDeployJson && covered.has(fromDeployJson)) return;
      if (looksSecret(name, value)) out.push({ path: `containerDefinitions[${i}].environment[${j}]`, name, container: typeof c.name === 'string' ? c.name : '' });
    });
  });
  return out;
}

/**
 * checkPlaintextSecrets for what a template writes itself: renders the app's template (stand-in
 * image and tag: the check runs before the image exists) and refuses secret-looking plaintext in
 * its containers' `environment` with one CONFIG_INVALID naming the file, the JSON path and the fix
 * (the rest as details), unless `allow` (then returns a warning line). Undefined outside template
 * mode or when there is nothing to say. Values are never printed.
 */
export function checkTemplateSecrets(app: AppDeployConfig, env: EnvironmentConfig, allow: boolean): string | undefined {
  const t = app.template;
  if (!t) return undefined;
  const rendered = renderTemplate(t, app, standInValues(app, env));
  const found = templatePlaintextSecrets(rendered, t.raw, new Set(plaintextSecrets(app.environment)));
  if (!found.length) return undefined;
  const one = (s: TemplateSecret) => `${t.shown}: ${s.path} (${s.name || 'no name'}, container ${JSON.stringify(s.container)}) looks like a secret in plaintext`;
  if (allow) {
    return `${app.project}: ${found.map((s) => `${s.path} (${s.name})`).join(', ')} in ${t.shown} look${found.length === 1 ? 's' : ''} like secret(s) in plaintext; deploying anyway (--allow-plaintext-secrets). Anyone who can describe the task definition can read them.`;
  }
  const [first, ...rest] = found;
  const slug = `${app.project}/${first.name.toLowerCase() || 'secret'}`;
  const account = env.accountId ?? '<account>';
  throw new FerryError(
    'CONFIG_INVALID',
    `${one(first)}: anyone who can describe the task definition can read it. ` +
      `Move it from "environment" to the container's "secrets" with a valueFrom that ECS resolves at task start, ` +
      `a Secrets Manager secret or an SSM parameter (e.g. { "name": ${JSON.stringify(first.name)}, "valueFrom": "arn:aws:secretsmanager:${env.region}:${account}:secret:${slug}" } ` +
      `or "valueFrom": "arn:aws:ssm:${env.region}:${account}:parameter/${slug}"; the execution role needs secretsmanager:GetSecretValue or ssm:GetParameters), ` +
      `or pass --allow-plaintext-secrets if the value really is not secret.${rest.length ? ` (${rest.length} more below.)` : ''}`,
    { details: rest.map(one) },
  );
}
