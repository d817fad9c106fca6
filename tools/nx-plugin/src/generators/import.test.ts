// The import generator's refusals, before any AWS call: an existing deploy.json or template without
// --force, an unknown environment, a cluster that is not the environment's. (What it writes for a
// live service: libs/ferry/deploy/src/import.test.ts; against the sandbox: test/template-import.test.ts.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addProjectConfiguration } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from 'nx/src/devkit-testing-exports';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importGenerator, type ImportOptions } from './import.ts';

const root = mkdtempSync(join(tmpdir(), 'ferry-import-gen-'));
writeFileSync(join(root, 'ferry.json'), JSON.stringify({ environments: { local: { kind: 'sandbox', region: 'us-east-1', cluster: 'ferry-local' } } }));
test.after(() => rmSync(root, { recursive: true, force: true }));

function tree(files: Record<string, string> = {}) {
  const t = createTreeWithEmptyWorkspace();
  // loadWorkspaceConfig reads ferry.json from the tree's root on disk.
  (t as { root: string }).root = root;
  addProjectConfiguration(t, 'api', { root: 'apps/api', projectType: 'application' });
  for (const [path, text] of Object.entries(files)) t.write(path, text);
  return t;
}

const noAws = () => {
  throw new Error('no AWS call expected');
};

const table: [string, Record<string, string>, Partial<ImportOptions>, RegExp][] = [
  ['an existing deploy.json without --force', { 'apps/api/deploy.json': '{}' }, {}, /apps\/api\/deploy\.json already exists; nothing was written\. Pass --force/],
  ['an existing template without --force', { 'apps/api/ecs-task-def.json': '{}' }, { template: true }, /apps\/api\/ecs-task-def\.json already exists; nothing was written/],
  ['an unknown environment', {}, { env: 'prod' }, /no environment "prod" in ferry\.json \(known: local\)/],
  ['another cluster than the environment\'s', {}, { cluster: 'other' }, /--cluster other, but environment local deploys to cluster ferry-local/],
];

for (const [what, files, options, message] of table) {
  test(`refused before any AWS call: ${what}`, async () => {
    const t = tree(files);
    const before = JSON.stringify(t.listChanges().map((c) => c.path));
    try {
      await importGenerator(t, { project: 'api', cluster: 'ferry-local', service: 'api', ...options }, noAws);
      assert.unreachable('expected a refusal');
    } catch (e) {
      assert.match((e as Error).message, message);
    }
    assert.is(JSON.stringify(t.listChanges().map((c) => c.path)), before, 'nothing written');
  });
}

test.run();
