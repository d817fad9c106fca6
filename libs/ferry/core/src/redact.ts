/**
 * Masks secrets in text before anyone prints it. The renderers pass every message through
 * `redact`; libraries may also call it on text that embeds command lines or AWS answers.
 */

const MASK = '***';

/**
 * Secrets obtained at run time (a registry password, an ECR token). The one process-wide set in
 * libs/ on purpose: a secret must be masked in every line this process prints, including a crash
 * report written where no run session is at hand. It only grows, and holds nothing but masks.
 */
const extra = new Set<string>();

/** Registers a literal secret (a registry password, a token just obtained) so it is masked everywhere in this process. */
export function registerSecret(secret: string | undefined | null): void {
  if (secret && secret.length >= 6) extra.add(secret);
}

const PATTERNS: [RegExp, string | ((...m: string[]) => string)][] = [
  // AWS access key ids (AKIA… long-term, ASIA… temporary).
  [/\b(?:AKIA|ASIA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b/g, MASK],
  // aws_secret_access_key=…, AWS_SESSION_TOKEN: …, "password": "…", token=… in any of the usual shapes.
  [
    /((?:aws_?)?(?:secret_?access_?key|session_?token|password|passwd|secret|token|api_?key|authorization)["']?\s*[:=]\s*["']?)(?:Basic |Bearer )?([^\s"',;&]+)/gi,
    (_m: string, key: string) => `${key}${MASK}`,
  ],
  // --password value / -p value on command lines (docker login).
  [/(--password(?:-stdin)?[ =]|(?:^|\s)-p\s+)(?!-)(\S+)/g, (_m: string, flag: string) => `${flag}${MASK}`],
  // Authorization headers.
  [/\b(Basic|Bearer)\s+[A-Za-z0-9+/=._-]{8,}/g, (_m: string, scheme: string) => `${scheme} ${MASK}`],
  // user:password@host in URLs.
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^:/\s@]+:)[^@\s/]+@/gi, (_m: string, pre: string) => `${pre}${MASK}@`],
  // 40-character AWS secret keys standing alone next to an access key context are caught above; long base64 ECR tokens:
  [/\b[A-Za-z0-9+/]{200,}={0,2}/g, MASK],
];

/** Returns `text` with registry passwords, tokens and AWS keys masked. */
export function redact(text: string): string {
  let out = text;
  for (const secret of extra) out = out.split(secret).join(MASK);
  for (const [re, rep] of PATTERNS) out = out.replace(re, rep as never);
  return out;
}
