/**
 * The sandbox console page (`GET /_sandbox/console`): one static, read-only HTML document with inline
 * CSS and script, no external resources. The script polls `GET /_sandbox/console/state` (view.ts)
 * and draws it with DOM nodes: every value goes in as a text node or an attribute value, never as
 * markup, so a log line or an event message cannot inject HTML.
 */
import type { WireResponse } from '../protocol.ts';

/** Where the page is served, and where its script reads the state. */
export const CONSOLE_PATH = '/_sandbox/console';
export const CONSOLE_STATE_PATH = '/_sandbox/console/state';
/** How often the page asks for the state. */
export const CONSOLE_POLL_MS = 1500;

const STYLE = `
:root { color-scheme: light; --fg: #1d2330; --muted: #6b7280; --line: #e2e5ea; --ok: #137333; --warn: #a15c00; --bad: #b3261e; }
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.45 system-ui, sans-serif; color: var(--fg); background: #f6f7f9; }
header { display: flex; gap: 16px; align-items: baseline; padding: 10px 20px; background: #1d2330; color: #fff; }
header h1 { margin: 0; font-size: 16px; font-weight: 600; }
header .meta { color: #c3c8d2; font-size: 12px; }
#status.down { color: #ffb4ab; font-weight: 600; }
main { padding: 12px 20px 40px; display: grid; gap: 14px; }
.row { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 3fr); gap: 14px; align-items: start; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; }
h2 { margin: 0 0 8px; font-size: 14px; }
h3 { margin: 10px 0 4px; font-size: 13px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 8px 3px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 500; font-size: 12px; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
pre { margin: 0; padding: 8px; background: #111827; color: #e5e7eb; border-radius: 4px; overflow-x: auto; max-height: 360px; white-space: pre-wrap; word-break: break-all; }
.muted { color: var(--muted); }
.ok { color: var(--ok); } .warn { color: var(--warn); } .bad { color: var(--bad); }
.service { border-top: 1px solid var(--line); padding-top: 6px; margin-top: 6px; }
.service:first-of-type { border-top: 0; margin-top: 0; }
.events { margin: 0; padding-left: 18px; }
tr.task { cursor: pointer; } tr.task:hover { background: #f1f5ff; } tr.selected { background: #e4ecff; }
.empty { color: var(--muted); font-style: italic; }
`;

// Plain browser JavaScript (no build step): drawn from scratch on every poll.
const SCRIPT = `
const STATE_URL = ${JSON.stringify(CONSOLE_STATE_PATH)};
const POLL_MS = ${CONSOLE_POLL_MS};
let selected = new URLSearchParams(location.hash.slice(1)).get('task');

/** An element; strings and numbers become text nodes (never markup). */
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) if (c !== undefined && c !== null && c !== false) e.append(c instanceof Node ? c : String(c));
  return e;
}
const tone = (v) => ({ COMPLETED: 'ok', HEALTHY: 'ok', RUNNING: 'ok', PRIMARY: 'ok', ACTIVE: 'ok', IN_PROGRESS: 'warn', PENDING: 'warn', PROVISIONING: 'warn', ACTIVATING: 'warn', UNKNOWN: 'muted', FAILED: 'bad', UNHEALTHY: 'bad', STOPPED: 'muted', INACTIVE: 'muted' })[v] || '';
const badge = (v) => el('span', { class: tone(v) }, v);
const time = (iso) => (iso ? el('span', { class: 'mono', title: iso }, iso.slice(11, 19)) : '');
const table = (heads, rows, empty) => rows.length ? el('table', {}, el('tr', {}, heads.map((h) => el('th', {}, h))), rows) : el('p', { class: 'empty' }, empty);
const section = (title, ...body) => el('section', {}, el('h2', {}, title), body);
const link = (url) => /^https?:\\/\\/127\\.0\\.0\\.1:\\d+$/.test(url) ? el('a', { href: url, target: '_blank', rel: 'noreferrer' }, url) : url;

function services(s) {
  if (!s.services.length) return el('p', { class: 'empty' }, s.ecs ? 'no services' : 'this sandbox serves no ECS API');
  return s.services.map((svc) => el('div', { class: 'service', 'data-service': svc.cluster + '/' + svc.name },
    el('h3', {}, svc.name, ' ', el('span', { class: 'muted' }, 'in ', svc.cluster, ' · ', svc.taskDefinition, ' · ', svc.running, '/', svc.desired, ' running', svc.pending ? ', ' + svc.pending + ' pending' : '')),
    el('div', {}, 'load balancer: ', svc.url ? link(svc.url) : el('span', { class: 'muted' }, 'none'),
      svc.url ? el('span', { class: 'muted' }, ' → targets: ', svc.targets.length ? svc.targets.map((t) => t.task.slice(0, 8) + ' ' + t.address).join(', ') : 'none healthy') : ''),
    table(['deployment', 'status', 'task definition', 'rollout', 'desired', 'running', 'pending', 'failed', 'reason'],
      svc.deployments.map((d) => el('tr', { class: 'deployment' }, el('td', { class: 'mono' }, d.id), el('td', {}, badge(d.status)), el('td', { class: 'mono' }, d.taskDefinition),
        el('td', {}, badge(d.rolloutState)), el('td', {}, d.desired), el('td', {}, d.running), el('td', {}, d.pending), el('td', {}, d.failed), el('td', {}, d.rolloutStateReason))), 'no deployments'),
    svc.events.length ? el('ul', { class: 'events' }, svc.events.map((e) => el('li', {}, time(e.at), ' ', e.message))) : ''));
}

function tasks(s) {
  return table(['task', 'service', 'task definition', 'last status', 'desired', 'health', 'created', 'stopped', 'stop reason'],
    s.tasks.map((t) => el('tr', { class: 'task' + (t.id === selected ? ' selected' : ''), 'data-task': t.id, onclick: () => { selected = t.id; location.hash = 'task=' + t.id; draw(last); } },
      el('td', { class: 'mono', title: t.id }, t.id.slice(0, 12)), el('td', {}, t.service || el('span', { class: 'muted' }, 'standalone')), el('td', { class: 'mono' }, t.taskDefinition),
      el('td', {}, badge(t.lastStatus)), el('td', {}, t.desiredStatus), el('td', {}, badge(t.health)), el('td', {}, time(t.createdAt)), el('td', {}, time(t.stoppedAt)),
      el('td', {}, t.stopCode ? el('span', { class: 'mono' }, t.stopCode, ': ') : '', t.stoppedReason || '',
        t.containers.filter((c) => c.exitCode !== undefined || c.reason).map((c) => el('div', { class: 'muted' }, c.name, c.exitCode !== undefined ? ' exit ' + c.exitCode : '', c.reason ? ' (' + c.reason + ')' : ''))))),
    s.ecs ? 'no tasks' : 'this sandbox serves no ECS API');
}

function logs(s) {
  // The chosen task, else the newest task that has log lines.
  const task = s.tasks.find((t) => t.id === selected) || s.tasks.find((t) => t.logs.some((l) => l.lines.length));
  if (!task) return el('p', { class: 'empty' }, 'no task logs to awslogs yet');
  const head = el('p', { class: 'muted' }, 'task ', el('span', { class: 'mono' }, task.id), ' (', task.taskDefinition, ', ', task.lastStatus, ') · click a task above to choose');
  if (!task.logs.length) return [head, el('p', { class: 'empty' }, 'this task has no awslogs container')];
  return [head, task.logs.map((l) => [el('h3', { class: 'mono' }, l.container, ' · ', l.group, ' / ', l.stream),
    el('pre', { class: 'log', 'data-task': task.id }, l.lines.length ? l.lines.map((x) => x.at.slice(11, 23) + '  ' + x.message).join('\\n') : '(no lines yet)')])];
}

function repositories(s) {
  return table(['repository', 'URI', 'tags (newest image first)'],
    s.repositories.map((r) => el('tr', { class: 'repository' }, el('td', { class: 'mono' }, r.name), el('td', { class: 'mono' }, r.uri),
      el('td', {}, r.images.length ? r.images.map((i) => el('div', {}, el('span', { class: 'mono' }, i.tags.length ? i.tags.join(', ') : '<untagged>'), ' ', el('span', { class: 'muted mono', title: i.digest }, i.digest.slice(7, 19), ' · ', i.pushedAt.slice(0, 19).replace('T', ' ')))) : el('span', { class: 'empty' }, 'no images')))),
    'no repositories');
}

let last;
function draw(s) {
  last = s;
  document.getElementById('generated').textContent = 'state at ' + s.generatedAt;
  const clusters = table(['cluster', 'status', 'services', 'running tasks'],
    s.clusters.map((c) => el('tr', { class: 'cluster' }, el('td', { class: 'mono' }, c.name), el('td', {}, badge(c.status)), el('td', {}, c.services), el('td', {}, c.runningTasks))),
    s.ecs ? 'no clusters' : 'this sandbox serves no ECS API');
  document.getElementById('main').replaceChildren(
    el('div', { class: 'row' }, section('Clusters', clusters), section('ECR repositories', repositories(s))),
    section('Services', services(s)), section('Tasks', tasks(s)), section('Task logs', logs(s)));
}

async function poll() {
  const status = document.getElementById('status');
  try {
    const r = await fetch(STATE_URL, { cache: 'no-store' });
    if (!r.ok) throw new Error('HTTP ' + r.status);
    draw(await r.json());
    status.textContent = 'live, every ' + POLL_MS / 1000 + ' s';
    status.className = 'meta';
  } catch (e) {
    status.textContent = 'sandbox not answering (' + e.message + '); retrying';
    status.className = 'meta down';
  } finally {
    setTimeout(poll, POLL_MS);
  }
}
poll();
`;

/** The page, with a policy that forbids loading anything but the state from the sandbox itself. */
export function consolePage(): WireResponse {
  const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ferry sandbox console</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style>
</head>
<body>
<header><h1>ferry sandbox console</h1><span class="meta" id="generated">loading…</span><span class="meta" id="status"></span></header>
<main id="main"><p class="empty">loading the sandbox state…</p></main>
<script>${SCRIPT}</script>
</body>
</html>
`;
  return {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'",
    },
    body,
  };
}
