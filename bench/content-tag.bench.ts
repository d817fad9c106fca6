// Content-tag speed: time per app once the project graph is loaded (goal: <= 5 ms per app when
// several apps are tagged together). Run: node --import tsx bench/content-tag.bench.ts [workspace]
import { performance } from 'node:perf_hooks';
import { computeContentTags, createContentTagMemo, findWorkspaceRoot, getProjectGraph, resolveApp } from '@ferry/core';

const root = findWorkspaceRoot(process.argv[2] ?? process.cwd());
let t = performance.now();
const graph = await getProjectGraph(root);
console.log(`project graph: ${(performance.now() - t).toFixed(0)} ms (once per process)`);
const projects = Object.values(graph.nodes).filter((n) => n.type === 'app').map((n) => n.name);
const apps = (await Promise.allSettled(projects.map((p) => resolveApp(root, p)))).flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
if (!apps.length) throw new Error(`no deployable apps in ${root}`);

// The memo keeps the parsed lock and ignore files between rounds (computeContentTags never reuses tags).
const memo = createContentTagMemo();
await computeContentTags(apps, graph, memo); // warm-up: JIT, lock file, ignore files
const rounds = 30;
t = performance.now();
for (let i = 0; i < rounds; i++) await computeContentTags(apps, graph, memo);
const batch = (performance.now() - t) / rounds;
t = performance.now();
for (let i = 0; i < rounds; i++) await computeContentTags([apps[0]], graph, memo);
const single = (performance.now() - t) / rounds;
console.log(`${apps.length} apps together: ${batch.toFixed(1)} ms per round, ${(batch / apps.length).toFixed(1)} ms per app`);
console.log(`one app alone (${apps[0].app.project}): ${single.toFixed(1)} ms (two git calls)`);
