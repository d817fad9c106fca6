/**
 * Reading a failed build's output: which Dockerfile step failed, what it printed, and the error.
 * Handles BuildKit's `--progress=plain` format (`#7 [3/3] RUN …`, `#7 0.06 output`, `#7 ERROR: …`)
 * and the legacy builder's (`Step 3/3 : RUN …`, output, `The command … returned a non-zero code`).
 */

/** The failing step of a build, for the BUILD_FAILED message. */
export interface BuildFailure {
  /** e.g. `[3/3] RUN npm ci` or `Step 3/3 : RUN npm ci`; undefined when no step could be identified. */
  step?: string;
  /** The error line (`exit code: 3`, `"/dist": not found`…). */
  error: string;
  /** The last lines the failing step printed. */
  output: string[];
}

const BK_LINE = /^#(\d+) (.*)$/;
const BK_TIMED = /^\d+(?:\.\d+)? (.*)$/;

export function parseBuildFailure(text: string, maxLines = 15): BuildFailure {
  const lines = text.split(/\r?\n/).map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''));
  return lines.some((l) => BK_LINE.test(l)) ? parseBuildKit(lines, maxLines) : parseLegacy(lines, maxLines);
}

function parseBuildKit(lines: string[], maxLines: number): BuildFailure {
  const names = new Map<string, string>();
  const outputs = new Map<string, string[]>();
  let failed: { id: string; error: string } | undefined;
  for (const line of lines) {
    const m = BK_LINE.exec(line);
    if (!m) continue;
    const [, id, rest] = m;
    if (rest.startsWith('ERROR')) {
      failed ??= { id, error: rest.replace(/^ERROR:?\s*/, '') };
      continue;
    }
    if (/^(sha256:|DONE |CACHED$|CANCELED)/.test(rest)) continue;
    const timed = BK_TIMED.exec(rest);
    if (timed) {
      outputs.set(id, [...(outputs.get(id) ?? []), timed[1]]);
    } else if (!names.has(id)) {
      names.set(id, rest);
    }
  }
  if (!failed) {
    const error = lines.filter((l) => /^(error|ERROR)\b|failed to solve/.test(l)).pop() ?? lastNonEmpty(lines);
    return { error: error.replace(/^(error|ERROR):?\s*/, ''), output: tail(lines.filter((l) => !BK_LINE.test(l)), maxLines) };
  }
  return { step: names.get(failed.id), error: failed.error, output: tail(outputs.get(failed.id) ?? [], maxLines) };
}

function parseLegacy(lines: string[], maxLines: number): BuildFailure {
  let stepIndex = -1;
  lines.forEach((l, i) => {
    if (/^Step \d+\/\d+ : /.test(l)) stepIndex = i;
  });
  const isNoise = (l: string) => /^ ---> |^Removing intermediate container|^Sending build context|^DEPRECATED:|^\s+(Install the buildx|https:\/\/docs\.docker\.com)/.test(l) || l.trim() === '';
  const after = lines.slice(stepIndex + 1).filter((l) => !isNoise(l));
  const errorIdx = after.findLastIndex((l) => /returned a non-zero code|^COPY failed|^ADD failed|^error|^failed to|^unable to|^invalid/i.test(l));
  const error = errorIdx >= 0 ? after[errorIdx] : lastNonEmpty(lines);
  const output = errorIdx >= 0 ? after.filter((_, i) => i !== errorIdx) : after.slice(0, -1);
  return { step: stepIndex >= 0 ? lines[stepIndex] : undefined, error, output: tail(output, maxLines) };
}

function tail(lines: string[], n: number): string[] {
  return lines.filter((l) => l.trim() !== '').slice(-n);
}

function lastNonEmpty(lines: string[]): string {
  return [...lines].reverse().find((l) => l.trim() !== '') ?? 'the build failed without output';
}
