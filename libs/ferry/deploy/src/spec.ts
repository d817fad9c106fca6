/**
 * The spec tag `ferry:spec` on the ECS service: lets a no-op deploy decide "up to date" from the
 * DescribeServices answer alone, without DescribeTaskDefinition.
 *
 * After a rollout of a revision ferry registered (or watched) COMPLETED, ferry tags the service with
 * `<task definition ARN> <spec fingerprint> <content tag> <git sha>` (specFingerprint in
 * task-definition.ts: a hash of exactly what desiredTaskDefinition takes from config).
 *
 * Why that is enough: a task definition revision is immutable per ARN, and desiredTaskDefinition
 * patches the live revision with config deterministically and idempotently. So "the PRIMARY
 * deployment runs ARN X, and X was what this same config produced (or already matched)" means that
 * patching X again with the config yields X: the full comparison would find them equal. Anything
 * else (no tag, another ARN after an outside UpdateService or a rollback, another fingerprint after
 * a config or image change, an older fingerprint version) takes the full path.
 *
 * Separated by spaces, not `|`: ECS tag values allow only letters, digits, spaces and `+ - = . _ : / @`.
 */
import type { EcsService } from '@ferry/aws';
import { tagValue } from './task-definition.ts';

export const TAG_SPEC = 'ferry:spec';

/** What the spec tag records: the revision that runs and the config fingerprint it was made from. */
export interface SpecRecord {
  taskDefinitionArn: string;
  /** specFingerprint of the config and image that produced (or matched) the revision. */
  fingerprint: string;
  /** ferry's content tag of the revision's image (`ferry:content-tag` on the revision). */
  contentTag?: string;
  /** The commit the revision was registered from (`ferry:git-sha` on the revision). */
  gitSha?: string;
}

const MAX_TAG_VALUE = 256;
const NONE = '-';
const FINGERPRINT = /^v\d+-[0-9a-f]{16,64}$/;
const SAFE = /^[A-Za-z0-9+\-=._:/@]+$/;

/** The tag value; undefined when it would not fit an ECS tag value (then no tag: full path). */
export function formatSpecTag(r: SpecRecord): string | undefined {
  const field = (v: string | undefined) => (v && SAFE.test(v) ? v : NONE);
  if (!SAFE.test(r.taskDefinitionArn) || !FINGERPRINT.test(r.fingerprint)) return undefined;
  // Shorter forms for very long ARNs: what diff shows about the live revision goes first.
  const forms = [
    [r.taskDefinitionArn, r.fingerprint, field(r.contentTag), field(r.gitSha)],
    [r.taskDefinitionArn, r.fingerprint, field(r.contentTag)],
    [r.taskDefinitionArn, r.fingerprint],
  ].map((f) => f.join(' '));
  return forms.find((f) => f.length <= MAX_TAG_VALUE);
}

/** Undefined for an absent or unreadable value (someone else's format: full path). */
export function parseSpecTag(value: string | undefined): SpecRecord | undefined {
  if (!value) return undefined;
  const [arn, fingerprint, contentTag, gitSha, ...rest] = value.split(' ');
  if (rest.length || !arn?.startsWith('arn:') || !FINGERPRINT.test(fingerprint ?? '')) return undefined;
  const opt = (v: string | undefined) => (v && v !== NONE ? v : undefined);
  return { taskDefinitionArn: arn, fingerprint, ...(opt(contentTag) && { contentTag }), ...(opt(gitSha) && { gitSha }) };
}

/** The task definition the service's PRIMARY deployment runs. */
export const primaryTaskDefinition = (service: EcsService): string | undefined =>
  service.deployments?.find((d) => d.status === 'PRIMARY')?.taskDefinition ?? service.taskDefinition;

/**
 * The service's spec record when it vouches for the PRIMARY revision under `fingerprint`; undefined
 * when the tag is missing, unreadable, names another revision or (when given) another fingerprint. Pure.
 */
export function matchSpec(service: EcsService, fingerprint?: string): SpecRecord | undefined {
  const spec = parseSpecTag(tagValue(service.tags, TAG_SPEC));
  const primary = primaryTaskDefinition(service);
  if (!spec || !primary || spec.taskDefinitionArn !== primary) return undefined;
  if (fingerprint !== undefined && spec.fingerprint !== fingerprint) return undefined;
  return spec;
}
