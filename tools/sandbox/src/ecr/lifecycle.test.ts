import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateLifecyclePolicy, parseLifecyclePolicy, type LifecycleImage } from './lifecycle.ts';
import { AwsError } from '../context.ts';

const DAY = 24 * 3600 * 1000;
const NOW = Date.UTC(2026, 10, 22);
const rule = (rulePriority: number, selection: object) => ({ rulePriority, selection, action: { type: 'expire' } });
const text = (...rules: object[]) => JSON.stringify({ rules });

const invalid: Array<[string, string, RegExp]> = [
  ['not JSON', '{', /not valid JSON/],
  ['no rules', '{"rules":[]}', /non-empty "rules"/],
  ['duplicate priority', text(rule(1, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }), rule(1, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 2 })), /unique/],
  ['tagged without list', text(rule(1, { tagStatus: 'tagged', countType: 'imageCountMoreThan', countNumber: 1 })), /requires tagPatternList or tagPrefixList/],
  ['untagged with list', text(rule(1, { tagStatus: 'untagged', tagPrefixList: ['x'], countType: 'imageCountMoreThan', countNumber: 1 })), /only with tagStatus "tagged"/],
  ['bad tagStatus', text(rule(1, { tagStatus: 'TAGGED', countType: 'imageCountMoreThan', countNumber: 1 })), /tagStatus must be/],
  ['countUnit with imageCountMoreThan', text(rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countUnit: 'days', countNumber: 1 })), /countUnit is allowed only/],
  ['sinceImagePushed without unit', text(rule(1, { tagStatus: 'any', countType: 'sinceImagePushed', countNumber: 1 })), /countUnit must be "days"/],
  ['zero count', text(rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 0 })), /countNumber must be a positive integer/],
  ['five wildcards', text(rule(1, { tagStatus: 'tagged', tagPatternList: ['*a*b*c*d*'], countType: 'imageCountMoreThan', countNumber: 1 })), /at most 4 wildcards/],
  ['any not last', text(rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }), rule(2, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 })), /must have the highest rulePriority/],
  ['bad action', JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'delete' } }] }), /action.type must be "expire"/],
];

for (const [name, policy, message] of invalid) {
  test(`parseLifecyclePolicy rejects: ${name}`, () => {
    try {
      parseLifecyclePolicy(policy);
      assert.unreachable('should throw');
    } catch (err) {
      assert.instance(err, AwsError);
      assert.is((err as AwsError).type, 'ValidationException');
      assert.match((err as AwsError).message, message);
    }
  });
}

test('parseLifecyclePolicy accepts non-sequential priorities and sorts them', () => {
  const p = parseLifecyclePolicy(
    text(rule(10, { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 3 }), rule(2, { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'imageCountMoreThan', countNumber: 5 })),
  );
  assert.equal(p.rules.map((r) => r.rulePriority), [2, 10]);
});

const img = (digest: string, tags: string[], ageDays: number): LifecycleImage => ({ digest, tags, pushedAt: NOW - ageDays * DAY });

const cases: Array<[string, object[], LifecycleImage[], string[]]> = [
  [
    'imageCountMoreThan keeps the newest N',
    [rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 2 })],
    [img('a', ['1'], 3), img('b', ['2'], 1), img('c', [], 2), img('d', ['4'], 0)],
    ['a', 'c'],
  ],
  [
    'sinceImagePushed expires older than N days',
    [rule(1, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 })],
    [img('old', [], 8), img('new', [], 6), img('tagged-old', ['x'], 30)],
    ['old'],
  ],
  [
    'tagPrefixList selects by any tag; all prefixes must match',
    [rule(1, { tagStatus: 'tagged', tagPrefixList: ['prod', 'v'], countType: 'imageCountMoreThan', countNumber: 1 })],
    [img('a', ['prod-1', 'v1'], 3), img('b', ['prod-2'], 2), img('c', ['prod-3', 'v3'], 1)],
    ['a'],
  ],
  [
    'tagPatternList wildcards',
    [rule(1, { tagStatus: 'tagged', tagPatternList: ['*-rc*'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 })],
    [img('a', ['1.0-rc1'], 3), img('b', ['1.0'], 3), img('c', ['2.0-rc.2'], 0)],
    ['a'],
  ],
  [
    'an image selected by a higher-priority rule is not considered by lower ones',
    [
      rule(1, { tagStatus: 'tagged', tagPrefixList: ['keep'], countType: 'imageCountMoreThan', countNumber: 10 }),
      rule(2, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }),
    ],
    [img('k1', ['keep-1'], 5), img('k2', ['keep-2'], 4), img('x', ['other'], 3), img('y', [], 2)],
    ['x'],
  ],
  ['no images, nothing to expire', [rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 })], [], []],
];

for (const [name, rules, images, expected] of cases) {
  test(`evaluateLifecyclePolicy: ${name}`, () => {
    const policy = parseLifecyclePolicy(text(...rules));
    assert.equal(evaluateLifecyclePolicy(policy, images, NOW).map((e) => e.digest).sort(), expected.sort());
  });
}

test.run();
