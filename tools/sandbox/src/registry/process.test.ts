import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { ensureCredentials, HTPASSWD_COST, REGISTRY_USER, registryFiles } from './process.ts';

const hashOf = (file: string) => readFileSync(file, 'utf8').trim().slice(REGISTRY_USER.length + 1);

test('ensureCredentials: one password per data directory, an htpasswd entry the registry checks cheaply', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-registry-creds-'));
  try {
    const files = registryFiles(dir);
    const { password } = ensureCredentials(files);
    assert.ok(password.length >= 32, 'a generated password, not one a person chose');
    assert.is((statSync(files.passwordFile).mode & 0o777).toString(8), '600');
    assert.is((statSync(files.htpasswdFile).mode & 0o777).toString(8), '600');
    const hash = hashOf(files.htpasswdFile);
    // Apache htpasswd's bcrypt prefix, which the registry (Go bcrypt) reads.
    assert.ok(hash.startsWith(`$2y$0${HTPASSWD_COST}$`), hash.slice(0, 7));
    assert.ok(bcrypt.compareSync(password, hash.replace(/^\$2y\$/, '$2b$')));

    // Kept as it is when it holds: the password survives restarts (images, docker logins).
    const before = readFileSync(files.htpasswdFile, 'utf8');
    assert.is(ensureCredentials(files).password, password);
    assert.is(readFileSync(files.htpasswdFile, 'utf8'), before);

    // A data directory from before: the same password, its entry hashed again at the low cost.
    writeFileSync(files.htpasswdFile, `${REGISTRY_USER}:${bcrypt.hashSync(password, 10).replace(/^\$2[ab]\$/, '$2y$')}\n`);
    assert.is(ensureCredentials(files).password, password);
    const rehashed = hashOf(files.htpasswdFile);
    assert.is(bcrypt.getRounds(rehashed.replace(/^\$2y\$/, '$2b$')), HTPASSWD_COST);
    assert.ok(bcrypt.compareSync(password, rehashed.replace(/^\$2y\$/, '$2b$')));

    // An entry that does not match the password (a hand edit) is replaced.
    writeFileSync(files.htpasswdFile, `${REGISTRY_USER}:${bcrypt.hashSync('something-else', HTPASSWD_COST)}\n`);
    ensureCredentials(files);
    assert.ok(bcrypt.compareSync(password, hashOf(files.htpasswdFile).replace(/^\$2y\$/, '$2b$')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
