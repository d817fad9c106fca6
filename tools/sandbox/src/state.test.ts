import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStateStore } from './state.ts';

test('state store persists every update atomically and reloads it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-state-'));
  try {
    const a = openStateStore(dir, 'things', { n: 0 });
    a.update((s) => void (s.n = 3));
    assert.equal(JSON.parse(readFileSync(join(dir, 'things.json'), 'utf8')), { n: 3 });
    assert.equal(openStateStore(dir, 'things', { n: 0 }).get(), { n: 3 });
    assert.throws(() => openStateStore(dir, '../escape', {}), /invalid state name/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
