import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { baseImageArg, buildOutputs, copySources, exposedPort, findDockerfiles, healthPaths, healthStatus, inferApp, inferContext, nodeHealthCheck, runsNode, sourcePort, underOutputs } from './infer-app.ts';
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

test('healthStatus: a 2xx other than 200 named in the route handler; runsNode: the final stage', () => {
  const table: Array<[string, number | undefined]> = [
    ["if (req.url === '/healthz') { res.writeHead(204); return res.end(); }", 204],
    ["app.get('/health', (_req, res) => res.sendStatus(204));", 204],
    ["app.get('/health', (_req, res) => res.status(204).end());", 204],
    ["if (url.pathname === '/health') return new Response(null, { status: 204 });", 204],
    ["if (req.url === '/health') { res.writeHead(200); res.end('ok'); }", undefined],
    ["if (req.url === '/health') res.end('ok'); /* far away: */" + ' '.repeat(500) + 'res.writeHead(204)', undefined],
    ["if (req.url === '/health') { res.statusCode = 503; }", undefined],
  ];
  for (const [src, want] of table) assert.is(healthStatus(src, src.includes('/healthz') ? '/healthz' : '/health'), want, src);
  assert.ok(runsNode('FROM node:20-slim\nCMD ["node","a.js"]\n'));
  assert.ok(runsNode('ARG BASE\nFROM ${BASE}\nCMD ["node", "server.js"]\n'));
  assert.ok(runsNode('FROM golang AS b\nRUN go build\nFROM node:20\nCOPY --from=b /x /x\n'));
  assert.not.ok(runsNode('FROM node:20 AS build\nRUN npm ci\nFROM gcr.io/distroless/static\nCMD ["/app"]\n'));
  assert.not.ok(runsNode('FROM python:3.12\nCMD ["python", "app.py"]\n'));
});

test('nodeHealthCheck: the command ECS would run, run for real against a server answering 204, 200 and 503', async () => {
  // ECS runs a CMD health check's array without a shell and treats exit 0 as healthy
  // (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html).
  let answer = 204;
  const server = createServer((req, res) => {
    res.writeHead(req.url === '/healthz' ? answer : 404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const run = (hc: ReturnType<typeof nodeHealthCheck>, env: Record<string, string> = {}) =>
    new Promise<number | null>((resolve) => {
      const [cmd, bin, ...args] = hc.command;
      assert.is(cmd, 'CMD');
      const child = spawn(bin === 'node' ? process.execPath : bin, args, { env: { PATH: process.env.PATH!, ...env }, stdio: 'ignore' });
      child.on('exit', (code: number | null) => resolve(code));
    });
  try {
    assert.is(await run(nodeHealthCheck(port, '/healthz', 204)), 0, '204 expected and answered');
    assert.is(await run(nodeHealthCheck(1, '/healthz', 204), { PORT: String(port) }), 0, '$PORT wins over containerPort');
    answer = 200;
    assert.is(await run(nodeHealthCheck(port, '/healthz', 204)), 1, '200 where 204 is expected');
    assert.is(await run(nodeHealthCheck(port, '/healthz')), 0, 'any 2xx when 200 is expected (r.ok)');
    answer = 503;
    assert.is(await run(nodeHealthCheck(port, '/healthz')), 1, '503');
    assert.is(await run(nodeHealthCheck(port, '/nope')), 1, '404');
  } finally {
    server.close();
  }
});

test('buildOutputs and the context of a Dockerfile that copies the build output', () => {
  assert.equal(buildOutputs(['{workspaceRoot}/dist/apps/api', '{projectRoot}/dist', '{options.outputPath}', '{options.missing}/x'], 'apps/api', { outputPath: 'out/api' }), ['dist/apps/api', 'apps/api/dist', 'out/api']);
  assert.ok(underOutputs('apps/api/dist/main.js', ['apps/api/dist']));
  assert.ok(underOutputs('./dist/apps/api/', ['dist/apps/api']));
  assert.not.ok(underOutputs('apps/api/distribution', ['apps/api/dist']));
  const files = [{ path: 'Dockerfile', read: () => 'FROM node:20\nCOPY dist/ /app/\nCOPY package.json /app/\nEXPOSE 3000\nCMD ["node","/app/main.js"]\n' }];
  const exists = { inProject: (p: string) => p === 'package.json', inWorkspace: () => false, projectToWorkspace: '../..', projectRoot: 'apps/api' };
  assert.is(inferApp(files, exists).context, undefined, 'dist/ does not exist before the build');
  const withBuild = inferApp(files, { ...exists, buildOutputs: ['apps/api/dist'] });
  assert.is(withBuild.context, '.');
  assert.ok(withBuild.notes.some((n) => /dist\/ from the build target's outputs/.test(n)), withBuild.notes.join('\n'));
  const atRoot = inferApp([{ path: 'Dockerfile', read: () => 'FROM node:20\nCOPY dist/apps/api /app\n' }], { ...exists, buildOutputs: ['dist/apps/api'] });
  assert.is(atRoot.context, '../..', 'a workspace-level dist/ makes the workspace the context');
});

test('inferApp: a 204 health route and a Node image give healthCheckStatus and a container health check', () => {
  const files = [
    { path: 'Dockerfile', read: () => 'FROM node:20-slim\nCOPY src /app/src\nCMD ["node","/app/src/main.js"]\n' },
    { path: 'src/main.js', read: () => "const port = Number(process.env.PORT ?? 8080);\nif (req.url === '/healthz') { res.writeHead(204); res.end(); }" },
  ];
  const got = inferApp(files, { inProject: (p) => p === 'src', inWorkspace: () => false, projectToWorkspace: '../..' });
  assert.is(got.containerPort, 8080);
  assert.is(got.healthCheckPath, '/healthz');
  assert.is(got.healthCheckStatus, 204);
  assert.is(got.initProcessEnabled, true);
  assert.equal(got.containerHealthCheck?.command.slice(0, 3), ['CMD', 'node', '-e']);
  assert.match(got.containerHealthCheck!.command[3], /process\.env\.PORT\|\|8080\)\+'\/healthz'/);
  const python = inferApp([{ ...files[0], read: () => 'FROM python:3.12\nCOPY src /app\n' }, files[1]], { inProject: (p) => p === 'src', inWorkspace: () => false, projectToWorkspace: '../..' });
  assert.is(python.containerHealthCheck, undefined, 'no node in the image: no node health check');
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
