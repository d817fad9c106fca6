/** What an image was built from, as baked in by its Dockerfile (`ARG` -> `ENV`). */
export interface BuildInfo {
  /** The app's content tag (hash of what reached the image), or `dev` outside an image. */
  contentTag: string;
  /** The git revision the image was first built from, or `unknown`. */
  gitSha: string;
  /** What /health reports: the content tag. */
  version: string;
}

/**
 * Read the build info from the environment. The Dockerfiles turn the build args
 * FERRY_CONTENT_TAG and FERRY_GIT_SHA into environment variables of the same names.
 */
export function buildInfo(env: NodeJS.ProcessEnv = process.env): BuildInfo {
  const contentTag = nonEmpty(env.FERRY_CONTENT_TAG) ?? 'dev';
  const gitSha = nonEmpty(env.FERRY_GIT_SHA) ?? 'unknown';
  return { contentTag, gitSha, version: contentTag };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v && v.trim() !== '' ? v.trim() : undefined;
}
