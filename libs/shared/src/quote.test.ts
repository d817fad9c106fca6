import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildInfo, isPeak, parseQuoteRequest, priceQuote, type QuoteRequest } from './index.ts';

const base: QuoteRequest = { route: 'dover-calais', date: '2026-03-10', adults: 1, children: 0, infants: 0, vehicle: 'none', returnTrip: false };

const prices: [string, Partial<QuoteRequest>, number, string[]][] = [
  ['one adult, off-peak', {}, 3900, ['1 adult']],
  ['children pay half, infants free', { adults: 2, children: 1, infants: 1 }, 2 * 3900 + 1950, ['2 adults', '1 child']],
  ['family with a car', { adults: 2, children: 1, vehicle: 'car' }, 18650, ['2 adults', '1 child', 'vehicle: car']],
  ['peak season adds a quarter', { date: '2026-08-01' }, 4875, ['1 adult', 'peak season']],
  ['return is two crossings less 10%', { returnTrip: true }, 3900 * 2 - 780, ['1 adult', 'return crossing', 'return discount']],
  ['peak return in euros', { route: 'helsinki-tallinn', date: '2026-07-04', returnTrip: true }, 6975, ['1 adult', 'peak season', 'return crossing', 'return discount']],
  ['odd cents round per line', { route: 'piraeus-naxos', children: 1, date: '2026-07-31' }, 4250 + 2125 + 1594, ['1 adult', '1 child', 'peak season']],
];

for (const [name, change, total, labels] of prices) {
  test(`price: ${name}`, () => {
    const quote = priceQuote({ ...base, ...change });
    assert.is(quote.totalCents, total);
    assert.equal(quote.lines.map((l) => l.label), labels);
    assert.is(quote.lines.reduce((s, l) => s + l.amountCents, 0), quote.totalCents, 'lines add up to the total');
    for (const l of quote.lines) assert.ok(Number.isInteger(l.amountCents), `${l.label} in whole cents`);
  });
}

test('priceQuote refuses an unknown route', () => {
  assert.throws(() => priceQuote({ ...base, route: 'atlantis' }), /unknown route atlantis/);
});

test('isPeak: July and August only', () => {
  assert.equal(['2026-06-30', '2026-07-01', '2026-08-31', '2026-09-01'].map(isPeak), [false, true, true, false]);
});

const invalid: [string, unknown, string[]][] = [
  ['not an object', 'hello', ['request must be a JSON object']],
  ['an array', [], ['request must be a JSON object']],
  ['unknown route and bad date', { route: 'x', date: '2026-02-30' }, [
    'route must be one of dover-calais, holyhead-dublin, piraeus-naxos, helsinki-tallinn',
    'date must be a calendar date as YYYY-MM-DD',
  ]],
  ['negative and fractional counts', { route: 'dover-calais', date: '2026-03-10', adults: 1.5, children: -1 }, [
    'adults must be a whole number >= 0',
    'children must be a whole number >= 0',
    'at least one adult must travel',
  ]],
  ['too many passengers', { route: 'dover-calais', date: '2026-03-10', adults: 5, children: 5 }, ['at most 9 passengers per booking']],
  ['infant without an adult each', { route: 'dover-calais', date: '2026-03-10', adults: 1, infants: 2 }, ['each infant must travel with an adult']],
  ['unknown vehicle and bad returnTrip', { route: 'dover-calais', date: '2026-03-10', vehicle: 'tank', returnTrip: 'yes' }, [
    'vehicle must be one of none, bicycle, motorbike, car, van',
    'returnTrip must be true or false',
  ]],
];

for (const [name, input, errors] of invalid) {
  test(`parse rejects: ${name}`, () => {
    assert.equal(parseQuoteRequest(input), { ok: false, errors });
  });
}

test('parse accepts query-string values and fills defaults', () => {
  assert.equal(parseQuoteRequest({ route: 'holyhead-dublin', date: '2026-05-01', adults: '2', returnTrip: 'true' }), {
    ok: true,
    value: { route: 'holyhead-dublin', date: '2026-05-01', adults: 2, children: 0, infants: 0, vehicle: 'none', returnTrip: true },
  });
  assert.equal(parseQuoteRequest({ route: 'holyhead-dublin', date: '2026-05-01' }), {
    ok: true,
    value: { route: 'holyhead-dublin', date: '2026-05-01', adults: 1, children: 0, infants: 0, vehicle: 'none', returnTrip: false },
  });
});

test('buildInfo reads the baked env vars and falls back outside an image', () => {
  assert.equal(buildInfo({ FERRY_CONTENT_TAG: 'c0ffee12', FERRY_GIT_SHA: 'abc1234' }), { contentTag: 'c0ffee12', gitSha: 'abc1234', version: 'c0ffee12' });
  assert.equal(buildInfo({ FERRY_CONTENT_TAG: ' ', FERRY_GIT_SHA: '' }), { contentTag: 'dev', gitSha: 'unknown', version: 'dev' });
  assert.equal(buildInfo({}), { contentTag: 'dev', gitSha: 'unknown', version: 'dev' });
});

test.run();
