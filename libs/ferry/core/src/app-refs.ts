/**
 * `${app:<project>.url}` references in deploy.json `environment` values: resolved at deploy time to
 * the other app's URL in the same environment (deploy-app), and a task dependency from the
 * referencing app's deploy-app to the referenced app's (the Nx plugin, which imports this file), so
 * `nx run-many -t deploy` deploys the referenced app first without touching content tags. Pure.
 */

const REF = /\$\{app:([A-Za-z0-9][A-Za-z0-9_.@/-]*?)\.url\}/g;

/** The projects one value refers to. */
export function appRefs(value: string): string[] {
  return [...value.matchAll(REF)].map((m) => m[1]);
}

/** Every project referenced from a deploy.json's `environment`, its per-environment overrides included. */
export function deployJsonAppRefs(deploy: Record<string, unknown>): string[] {
  const envs = [deploy.environment, ...Object.values((deploy.environments as Record<string, { environment?: unknown }> | undefined) ?? {}).map((o) => o?.environment)];
  const out = new Set<string>();
  for (const env of envs) {
    if (!env || typeof env !== 'object') continue;
    for (const v of Object.values(env as Record<string, unknown>)) if (typeof v === 'string') for (const p of appRefs(v)) out.add(p);
  }
  return [...out].sort();
}

/** Replaces every reference in `value` with `urlOf(project)`. */
export async function resolveAppRefs(value: string, urlOf: (project: string) => Promise<string>): Promise<string> {
  let out = '';
  let last = 0;
  for (const m of value.matchAll(REF)) {
    out += value.slice(last, m.index) + (await urlOf(m[1]));
    last = m.index! + m[0].length;
  }
  return out + value.slice(last);
}

/** Every project referenced from any string value of a JSON document (a task definition template). */
export function documentAppRefs(doc: unknown): string[] {
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') for (const p of appRefs(v)) out.add(p);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(doc);
  return [...out].sort();
}

/** The task definition templates a deploy.json names (`taskDefinition`, its own and every environment's), relative to the project root. */
export function deployJsonTemplates(deploy: Record<string, unknown>): string[] {
  const files = [deploy.taskDefinition, ...Object.values((deploy.environments as Record<string, { taskDefinition?: unknown }> | undefined) ?? {}).map((o) => o?.taskDefinition)];
  return [...new Set(files.filter((f): f is string => typeof f === 'string'))].sort();
}
