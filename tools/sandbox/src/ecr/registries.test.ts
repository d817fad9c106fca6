import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRegistryAccounts } from './registries.ts';

const cases: Array<[string, string | undefined, number, Array<{ accountId: string; port: number }> | RegExp]> = [
  ['unset', undefined, 5000, []],
  ['ports follow the base port', '111111111111,222222222222', 5000, [{ accountId: '111111111111', port: 5001 }, { accountId: '222222222222', port: 5002 }]],
  ['explicit port', ' 111111111111:6000 ', 5000, [{ accountId: '111111111111', port: 6000 }]],
  ['free ports when the base is 0', '111111111111', 0, [{ accountId: '111111111111', port: 0 }]],
  ['not an account id', '1234', 5000, /not <12-digit account id>/],
  ['the own account', '000000000000', 5000, /listed twice/],
  ['twice', '111111111111,111111111111:7000', 5000, /listed twice/],
];
for (const [label, text, base, want] of cases) {
  test(`parseRegistryAccounts: ${label}`, () => {
    if (want instanceof RegExp) assert.throws(() => parseRegistryAccounts(text, base, '000000000000'), want);
    else assert.equal(parseRegistryAccounts(text, base, '000000000000'), want);
  });
}

test.run();
