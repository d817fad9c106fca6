/**
 * `${app:<project>.url}` in an app's `environment`: resolved at deploy time to the other app's URL in
 * the same environment — its `url` when set, else the URL of its service (the `ferry:url` tag ferry
 * records, the sandbox's load balancer tag, or its target group's load balancer). The Nx plugin
 * orders the referenced app's deploy-app first (a project-graph edge).
 */
import { appRefs, FerryError, resolveApp, resolveAppRefs, templateAppRefs, type AppDeployConfig, type ResolvedApp, type RunSession } from '@ferry/core';
import { LIVE_MAX_AGE_MS } from '@ferry/aws';
import { appPorts } from './context.ts';
import { serviceUrl } from './health.ts';
import { liveTargetGroup } from './load-balancer.ts';

/** The app with every `${app:<project>.url}` of its environment replaced; the app itself when it has none. */
export async function withResolvedAppUrls(session: RunSession, workspaceRoot: string, resolved: ResolvedApp): Promise<AppDeployConfig> {
  const { app } = resolved;
  const entries = Object.entries(app.environment);
  // A task definition template may reference other apps directly too (task-template.ts).
  const templateRefs = app.template ? templateAppRefs(app.template.raw) : [];
  if (!entries.some(([, v]) => appRefs(v).length > 0) && templateRefs.length === 0) return app;
  const urls = new Map<string, Promise<string>>();
  const urlOf = (project: string) => {
    let p = urls.get(project);
    if (!p) urls.set(project, (p = appUrl(session, workspaceRoot, resolved, project)));
    return p;
  };
  const environment: Record<string, string> = {};
  for (const [k, v] of entries) environment[k] = await resolveAppRefs(v, urlOf);
  if (!app.template) return { ...app, environment };
  const resolvedUrls: Record<string, string> = {};
  for (const project of templateRefs) resolvedUrls[project] = await urlOf(project);
  return { ...app, environment, template: { ...app.template, urls: resolvedUrls } };
}

async function appUrl(session: RunSession, workspaceRoot: string, from: ResolvedApp, project: string): Promise<string> {
  const other = await resolveApp(workspaceRoot, project, from.env.name, session).catch((e) => {
    throw new FerryError('CONFIG_INVALID', `${from.app.project}: its environment references \${app:${project}.url}, but ${project} is not a deployable app (${(e as Error).message})`);
  });
  if (other.app.url) return other.app.url.replace(/\/+$/, '');
  const ports = appPorts(session, other);
  const read = async (maxAgeMs?: number) => (await ports.ecs.describeServices(other.env.cluster, [other.app.service], { maxAgeMs })).services.find((s) => s.serviceName === other.app.service && s.status !== 'INACTIVE');
  // A read this run already has will do; a service that has no URL in it is read again (it may just have been created).
  let svc = await read(LIVE_MAX_AGE_MS).catch(() => undefined);
  let url = serviceUrl(svc, other.env, other.app);
  if (!url) {
    svc = await read().catch(() => undefined);
    const tg = liveTargetGroup(svc);
    url = serviceUrl(svc, other.env, other.app) ?? (tg ? await ports.elbv2.url(tg) : undefined);
  }
  if (!url) {
    throw new FerryError(
      'CONFIG_MISSING',
      `${from.app.project}: its environment references \${app:${project}.url}, but ${project} has no URL in ${from.env.name} (${svc ? `service ${other.app.service} has no load balancer` : `service ${other.app.service} does not exist yet`}). Deploy ${project} first (\`nx run-many -t deploy\` orders it first), or set ${project}'s url for ${from.env.name}.`,
    );
  }
  return url.replace(/\/+$/, '');
}
