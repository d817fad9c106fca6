import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
// @ts-expect-error: a plain .mjs tool script without types
import { generate, OUT } from '../../../../tools/schema/validators.mjs';

test('the committed validators are generated from the schemas as they are now', () => {
  const committed = readFileSync(OUT as string, 'utf8');
  assert.ok(committed === (generate as () => string)(), 'libs/ferry/core/src/validators.generated.ts is out of date: run `node tools/schema/validators.mjs` and commit it');
});

test.run();
