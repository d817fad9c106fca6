/**
 * The content tag: a hash of exactly what reaches an app's image, so an unchanged app is never
 * rebuilt, re-pushed or redeployed. See docs/content-tag.md for what is in it and what is not.
 *
 * Inputs: the files of the app project and of every project it depends on (transitively), as git
 * would commit them, filtered by the build context's .dockerignore; the Dockerfile; build args;
 * the platform; the lock-file versions of the npm packages those projects import (and what those
 * packages depend on); the bundle-shaping part of tsconfig.base.json. Working-tree content is what
 * is hashed, so an uncommitted change gives another tag and `dirty: true`.
 *
 *   hash.ts          TagInputs, the tag scheme and the hash
 *   compute.ts       computeContentTag(s), primeContentTags: one git pass, then per app in memory
 *   memo.ts          ContentTagMemo: a run's tags and parsed files, owned by the run
 *   inputs.ts        which files count (InputSelector), which project owns a file
 *   dockerignore.ts  the build context's ignore file, with Docker's meaning
 *   lockfile.ts      npm package versions from package-lock.json
 *   tooling.ts       tsconfig.base.json's projection, nx.json's named inputs (JSON with comments)
 *   explain.ts       what differs between two tags' inputs
 *   changed.ts       input files changed since a git revision
 */
export { tagFromInputs, canonicalJson, type ContentTag, type TagInputs } from './hash.ts';
export { computeContentTag, computeContentTags, primeContentTags } from './compute.ts';
export { contentTagMemo, createContentTagMemo, type ContentTagMemo } from './memo.ts';
export { inputSelector, type InputSelector } from './inputs.ts';
export { dockerignoreToGitignore } from './dockerignore.ts';
export { lockClosure, type PackageLock } from './lockfile.ts';
export { readJsonc, tsconfigProjection } from './tooling.ts';
export { explainTag, formatTagChanges, type TagInputChange } from './explain.ts';
export { changedInputsSince } from './changed.ts';
