import { AwsError } from '../context.ts';

/** One rule of an ECR lifecycle policy (ECS-SEMANTICS §5). */
export interface LifecycleRule {
  rulePriority: number;
  description?: string;
  selection: {
    tagStatus: 'tagged' | 'untagged' | 'any';
    tagPatternList?: string[];
    tagPrefixList?: string[];
    countType: 'imageCountMoreThan' | 'sinceImagePushed';
    countUnit?: 'days';
    countNumber: number;
  };
  action: { type: 'expire' };
}

export interface LifecyclePolicy {
  rules: LifecycleRule[];
}

/** What the evaluator needs to know about an image. */
export interface LifecycleImage {
  digest: string;
  tags: string[];
  /** Push time, epoch milliseconds. */
  pushedAt: number;
}

export interface Expiry {
  digest: string;
  rulePriority: number;
}

function invalid(message: string): never {
  throw new AwsError('ValidationException', `Lifecycle policy validation failure: ${message}`);
}

/**
 * Parses and validates lifecycle policy text as ECR does; throws ValidationException naming the
 * offending rule and field.
 */
export function parseLifecyclePolicy(text: unknown): LifecyclePolicy {
  if (typeof text !== 'string' || text.trim() === '') invalid('lifecyclePolicyText is required');
  if (text.length > 30720) invalid('Lifecycle policy text is longer than 30720 characters');
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    invalid(`Lifecycle policy is not valid JSON: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.rules) || doc.rules.length === 0) invalid('Lifecycle policy must have a non-empty "rules" array');
  const seen = new Set<number>();
  const rules: LifecycleRule[] = doc.rules.map((r: any, i: number) => {
    const where = `rules[${i}]`;
    if (!r || typeof r !== 'object') invalid(`${where} must be an object`);
    if (!Number.isInteger(r.rulePriority) || r.rulePriority < 1) invalid(`${where}.rulePriority must be a positive integer`);
    if (seen.has(r.rulePriority)) invalid(`rulePriority ${r.rulePriority} is used by more than one rule; priorities must be unique`);
    seen.add(r.rulePriority);
    if (r.description !== undefined && typeof r.description !== 'string') invalid(`${where}.description must be a string`);
    const s = r.selection;
    if (!s || typeof s !== 'object') invalid(`${where}.selection is required`);
    if (!['tagged', 'untagged', 'any'].includes(s.tagStatus)) invalid(`${where}.selection.tagStatus must be one of tagged, untagged, any`);
    const patterns = s.tagPatternList;
    const prefixes = s.tagPrefixList;
    for (const [field, list] of [['tagPatternList', patterns], ['tagPrefixList', prefixes]] as const) {
      if (list === undefined) continue;
      if (!Array.isArray(list) || list.length === 0 || list.some((x: unknown) => typeof x !== 'string' || x === '')) {
        invalid(`${where}.selection.${field} must be a non-empty array of non-empty strings`);
      }
    }
    if (s.tagStatus === 'tagged') {
      if (patterns === undefined && prefixes === undefined) invalid(`${where}: tagStatus "tagged" requires tagPatternList or tagPrefixList`);
      if (patterns !== undefined && prefixes !== undefined) invalid(`${where}: use either tagPatternList or tagPrefixList, not both`);
    } else if (patterns !== undefined || prefixes !== undefined) {
      invalid(`${where}: tagPatternList and tagPrefixList are allowed only with tagStatus "tagged"`);
    }
    if (patterns?.some((p: string) => (p.match(/\*/g)?.length ?? 0) > 4)) invalid(`${where}.selection.tagPatternList: at most 4 wildcards (*) per pattern`);
    if (!['imageCountMoreThan', 'sinceImagePushed'].includes(s.countType)) invalid(`${where}.selection.countType must be imageCountMoreThan or sinceImagePushed`);
    if (!Number.isInteger(s.countNumber) || s.countNumber < 1) invalid(`${where}.selection.countNumber must be a positive integer`);
    if (s.countType === 'sinceImagePushed') {
      if (s.countUnit !== 'days') invalid(`${where}.selection.countUnit must be "days" with countType sinceImagePushed`);
    } else if (s.countUnit !== undefined) {
      invalid(`${where}.selection.countUnit is allowed only with countType sinceImagePushed`);
    }
    if (!r.action || r.action.type !== 'expire') invalid(`${where}.action.type must be "expire"`);
    return r as LifecycleRule;
  });
  const sorted = [...rules].sort((a, b) => a.rulePriority - b.rulePriority);
  const anyRule = sorted.findIndex((r) => r.selection.tagStatus === 'any');
  if (anyRule >= 0 && anyRule !== sorted.length - 1) {
    invalid(`the rule with tagStatus "any" (rulePriority ${sorted[anyRule].rulePriority}) must have the highest rulePriority`);
  }
  return { rules: sorted };
}

/** `*` matches any run of characters; everything else is literal. */
function wildcardMatch(pattern: string, tag: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(tag);
}

function selects(rule: LifecycleRule, image: LifecycleImage): boolean {
  const s = rule.selection;
  if (s.tagStatus === 'any') return true;
  if (s.tagStatus === 'untagged') return image.tags.length === 0;
  if (image.tags.length === 0) return false;
  // With several list entries an image must match all of them (each by any of its tags).
  if (s.tagPrefixList) return s.tagPrefixList.every((p) => image.tags.some((t) => t.startsWith(p)));
  return (s.tagPatternList ?? []).every((p) => image.tags.some((t) => wildcardMatch(p, t)));
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Which images a policy expires, rule by rule in priority order. An image selected by a rule is
 * never considered by lower-priority rules (whether or not it was expired), so it is expired by at
 * most one rule. `imageCountMoreThan` keeps the newest N by push time; `sinceImagePushed` expires
 * images pushed more than N days before `now`.
 */
export function evaluateLifecyclePolicy(policy: LifecyclePolicy, images: LifecycleImage[], now: number): Expiry[] {
  const claimed = new Set<string>();
  const expired: Expiry[] = [];
  for (const rule of [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority)) {
    const selected = images.filter((img) => !claimed.has(img.digest) && selects(rule, img));
    for (const img of selected) claimed.add(img.digest);
    const { countType, countNumber } = rule.selection;
    const victims =
      countType === 'imageCountMoreThan'
        ? [...selected].sort((a, b) => b.pushedAt - a.pushedAt || a.digest.localeCompare(b.digest)).slice(countNumber)
        : selected.filter((img) => now - img.pushedAt > countNumber * DAY_MS);
    for (const img of victims) expired.push({ digest: img.digest, rulePriority: rule.rulePriority });
  }
  return expired;
}
