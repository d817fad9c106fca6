/**
 * The build context's ignore file, with Docker's meaning: which files of the context a `COPY` can
 * see. `<Dockerfile>.dockerignore` (BuildKit's rule) wins over `<context>/.dockerignore`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { parsedFile, type ContentTagMemo } from './memo.ts';

/** The compiled ignore file of a build (`dockerfileAbs`, `contextAbs`); undefined when there is none. */
export function dockerignoreFor(dockerfileAbs: string, contextAbs: string, memo: ContentTagMemo): Ignore | undefined {
  const file = [`${dockerfileAbs}.dockerignore`, join(contextAbs, '.dockerignore')].find((f) => existsSync(f));
  if (!file) return undefined;
  return parsedFile(memo.ignores, file, (f) => ignore().add(dockerignoreToGitignore(readFileSync(f, 'utf8'))));
}

/**
 * Docker anchors every .dockerignore pattern at the context root (`*.md` matches only top-level
 * files), while gitignore lets a slash-less pattern match at any depth. Anchoring each pattern
 * gives the `ignore` package Docker's meaning.
 */
export function dockerignoreToGitignore(text: string): string[] {
  const out: string[] = [];
  for (let line of text.split(/\r?\n/)) {
    line = line.trim();
    if (!line || line.startsWith('#')) continue;
    let neg = '';
    if (line.startsWith('!')) {
      neg = '!';
      line = line.slice(1).trim();
    }
    line = line.replace(/^(\.\/)+/, '').replace(/^\/+/, '');
    if (!line || line === '.') continue;
    out.push(`${neg}/${line}`);
  }
  return out;
}
