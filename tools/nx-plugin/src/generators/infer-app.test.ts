import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { baseImageArg, copySources, exposedPort, findDockerfiles, healthPaths, inferContext, sourcePort } from './infer-app.ts';
import { addMissing } from './merge.ts';

test('findDockerfiles: top-level plain Dockerfile first, build outputs and node_modules skipped', () => {
  const table: Array<[string[], string[]]> = [
    [['src/main.mjs', 'docker/Dockerfile'], ['docker/Dockerfile']],
    [['docker/Dockerfile', 'Dockerfile.prod', 'Dockerfile'], ['Dockerfile', 'Dockerfile.prod', 'docker/Dockerfile']],
    [['node_modules/x/Dockerfile', 'dist/Dockerfile', 'api.Dockerfile'], ['api.Dockerfile']],
    [['Dockerfile.dockerignore'.replace('.dockerignore', '.md')], ['Dockerfile.md']],
    [['README.md'], []],
  ];
  for (const [paths, want] of table) assert.equal(findDockerfiles(paths), want, paths.join(','));
});

test('Dockerfile facts: EXPOSE, the base-image ARG, COPY sources', () => {
  const df = [
    '# syntax=docker/dockerfile:1',
    'ARG NODE_IMAGE=node:20-slim',
    'FROM ${NODE_IMAGE}',
    'WORKDIR /app',
    'COPY services/orders/src ./src',
    'COPY --chown=node packages/core/util/money \\',
    '     ./node_modules/@acme/money',
    'COPY --from=build /out /x',
    'EXPOSE 8080/tcp',
    'CMD ["node", "src/main.mjs"]',
  ].join('\n');
  assert.is(exposedPort(df), 8080);
  assert.is(baseImageArg(df), 'NODE_IMAGE');
  assert.equal(copySources(df), ['services/orders/src', 'packages/core/util/money']);
  assert.is(baseImageArg('ARG BASE\nFROM $BASE AS build\n'), 'BASE');
  assert.is(baseImageArg('FROM ${UNDECLARED}\n'), undefined);
  assert.is(baseImageArg('ARG X\nFROM --platform=linux/amd64 ${X:-node:20}\n'), 'X');
  assert.is(baseImageArg('FROM node:20\n'), undefined);
  assert.is(exposedPort('FROM x\n'), undefined);
  assert.equal(copySources('COPY ["a b", "c", "/dst/"]\n'), ['a b', 'c']);
});

test('sourcePort and healthPaths read the usual spellings', () => {
  const ports: Array<[string, number | undefined]> = [
    ['const port = Number(process.env.PORT ?? 3000);', 3000],
    ["const port = process.env.PORT || '8080';", 8080],
    ["listen(Number(process.env['PORT'] ?? 4000))", 4000],
    ['listen(3000)', undefined],
  ];
  for (const [src, want] of ports) assert.is(sourcePort(src), want, src);
  assert.equal(healthPaths("if (req.url === '/healthz') ok();"), ['/healthz']);
  assert.equal(healthPaths('app.get("/health", h); app.get(`/ping`, p)'), ['/health', '/ping']);
  assert.equal(healthPaths("'/healthcheck-not-a-route'"), []);
  assert.equal(healthPaths("url.startsWith('/health?verbose')"), ['/health']);
});

test('inferContext: the project, else the workspace root, else unknown', () => {
  const project = new Set(['src', 'package.json']);
  const ws = new Set(['services/orders/src', 'packages/core/util/money']);
  const ctx = (sources: string[]) => inferContext(sources, (p) => project.has(p), (p) => ws.has(p), '../..');
  assert.is(ctx(['src', './package.json']), '.');
  assert.is(ctx(['services/orders/src', 'packages/core/util/money/']), '../..');
  assert.is(ctx(['nowhere']), undefined);
  assert.is(ctx([]), '.');
  assert.is(ctx(['src/*.mjs']), '.');
});

test('addMissing adds only what is absent, never replaces, recurses into objects', () => {
  const existing = { containerPort: 9000, environments: { local: { desiredCount: 2 } }, smoke: 'odd' };
  const proposed = { containerPort: 8080, healthCheckPath: '/healthz', environments: { local: { buildArgs: { X: 'y' }, desiredCount: 1 } }, smoke: { checks: [] } };
  const { value, added } = addMissing(existing, proposed);
  assert.equal(value, { containerPort: 9000, environments: { local: { desiredCount: 2, buildArgs: { X: 'y' } } }, smoke: 'odd', healthCheckPath: '/healthz' });
  assert.equal(added.sort(), ['environments.local.buildArgs', 'healthCheckPath']);
  assert.equal(addMissing(value, proposed).added, []);
});

test.run();
