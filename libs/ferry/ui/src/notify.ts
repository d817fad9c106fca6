/**
 * `notify` of an environment in ferry.json: webhooks that receive the run summary at the end of a
 * run, as ferry's JSON document or as a Slack-compatible message (`{"text", "blocks"}`). A webhook
 * that fails never fails the run: the caller reports the failure. Webhook URLs are secrets (Slack's
 * carry the token in the path): only `redactUrl`'s form of them is ever shown.
 */
import { patternRedactor, redactDeep, type NotifyTarget, type Redactor, type RunSummary, type RunSummaryRow } from '@ferry/core';
import { formatDuration, summaryHeadline } from './summary.ts';

export interface NotifyHook {
  url: string;
  format: 'json' | 'slack';
}

export function notifyHooks(targets: readonly NotifyTarget[] | undefined): NotifyHook[] {
  return (targets ?? []).map((t) => (typeof t === 'string' ? { url: t, format: 'json' } : { url: t.url, format: t.format ?? 'json' }));
}

/** `https://hooks.slack.com/…`: scheme and host only; path, query and credentials are secrets. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const rest = u.pathname.length > 1 || u.search || u.hash ? '/…' : '';
    return `${u.protocol}//${u.host}${rest}`;
  } catch {
    return '(an invalid URL)';
  }
}

/** ferry's own document: `kind` and `version` let a receiver tell it apart and evolve with it. */
export function jsonPayload(summary: RunSummary, environment: string): Record<string, unknown> {
  return { kind: 'ferry.run-summary', version: 1, environment, ...summary };
}

const EMOJI: Record<RunSummaryRow['result'], string> = {
  deployed: ':white_check_mark:',
  'up to date': ':white_check_mark:',
  done: ':white_check_mark:',
  'rolled back': ':leftwards_arrow_with_hook:',
  failed: ':x:',
  skipped: ':fast_forward:',
};

/** Slack's incoming-webhook format (also taken by Mattermost, Rocket.Chat, Discord's /slack). */
export function slackPayload(summary: RunSummary, environment: string): { text: string; blocks: unknown[] } {
  const text = `ferry ${environment}: ${summaryHeadline(summary)}`;
  const line = (r: RunSummaryRow) =>
    `${EMOJI[r.result]} *${r.app}* ${r.result}${r.tag ? ` \`${r.tag}\`` : ''}${r.revision ? ` ${r.revision}` : ''} (${formatDuration(r.durationMs)})${r.url ? ` <${r.url}|open>` : ''}`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${text}*` } },
      { type: 'section', text: { type: 'mrkdwn', text: summary.rows.map(line).join('\n') || '_no apps_' } },
    ],
  };
}

export interface NotifyOutcome {
  /** The redacted URL. */
  target: string;
  ok: boolean;
  /** `HTTP 200`, or what went wrong. */
  detail: string;
}

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{ ok: boolean; status: number }>;

/**
 * Posts the summary to each hook, all at once; never throws. Every string of the payload is masked
 * with `redactor` (the run's secrets and the patterns; the patterns alone by default): a webhook
 * receives what the terminal shows, no more.
 */
export async function sendNotifications(
  hooks: readonly NotifyHook[],
  summary: RunSummary,
  environment: string,
  o: { fetch?: FetchLike; timeoutMs?: number; redactor?: Redactor } = {},
): Promise<NotifyOutcome[]> {
  const post = o.fetch ?? (fetch as unknown as FetchLike);
  const r = o.redactor ?? patternRedactor;
  return Promise.all(
    hooks.map(async (h): Promise<NotifyOutcome> => {
      const target = redactUrl(h.url);
      const body = JSON.stringify(redactDeep(h.format === 'slack' ? slackPayload(summary, environment) : jsonPayload(summary, environment), r));
      try {
        const res = await post(h.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(o.timeoutMs ?? 10_000) });
        return { target, ok: res.ok, detail: `HTTP ${res.status}` };
      } catch (e) {
        const err = e as Error & { cause?: { code?: string; message?: string } };
        const why = err.name === 'TimeoutError' ? `no answer in ${(o.timeoutMs ?? 10_000) / 1000}s` : (err.cause?.code ?? err.cause?.message ?? err.message);
        // The error text of fetch may quote the URL: never pass it on.
        return { target, ok: false, detail: String(why).split(h.url).join(target) };
      }
    }),
  );
}
