import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bufferedStore, openStateStore } from './state.ts';

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

test('a buffered store writes only on flush, once, and not at all without a change', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-state-'));
  const file = join(dir, 'things.json');
  try {
    const store = bufferedStore(openStateStore(dir, 'things', { n: 0 }));
    store.update((s) => void (s.n = 1));
    store.update((s) => void (s.n = 2));
    assert.is(store.get().n, 2, 'the change is visible at once');
    assert.not.ok(existsSync(file), 'nothing written before the flush');
    store.flush();
    assert.equal(JSON.parse(readFileSync(file, 'utf8')), { n: 2 });
    rmSync(file);
    store.flush();
    assert.not.ok(existsSync(file), 'a flush without a change writes nothing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
