#!/usr/bin/env node
// Regenerates the trimmed service models in this folder from botocore's `service-2.json` files:
//   node libs/ferry/core/models/vendor.mjs <folder with ecs/, ecr/, application-autoscaling/ and elbv2/ service-2.json>
// Keeps what request validation needs (metadata, each operation's input and error shapes, every
// shape's type, members, required, enum, min/max and pattern) and drops the documentation.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const src = process.argv[2];
if (!src) throw new Error('usage: vendor.mjs <botocore data folder with ecs/, ecr/, application-autoscaling/ and elbv2/>');
const KEEP_SHAPE = ['type', 'members', 'required', 'enum', 'min', 'max', 'pattern', 'member', 'key', 'value', 'exception', 'error'];
// ELBv2 keeps only the operations the sandbox serves (its model is large); every shape they reach stays.
const ELBV2_OPERATIONS = ['CreateLoadBalancer', 'CreateTargetGroup', 'CreateListener', 'DescribeLoadBalancers', 'DescribeTargetGroups', 'DescribeListeners', 'DescribeTargetHealth', 'DescribeLoadBalancerAttributes', 'DescribeTargetGroupAttributes', 'ModifyLoadBalancerAttributes', 'ModifyTargetGroupAttributes', 'ModifyTargetGroup', 'RegisterTargets', 'DeregisterTargets', 'DeleteLoadBalancer', 'DeleteTargetGroup', 'DeleteListener'];
for (const service of ['ecs', 'ecr', 'application-autoscaling', 'elbv2']) {
  const model = JSON.parse(readFileSync(join(src, service, 'service-2.json'), 'utf8'));
  if (service === 'elbv2') model.operations = Object.fromEntries(ELBV2_OPERATIONS.map((n) => [n, model.operations[n]]));
  const operations = {};
  for (const [name, op] of Object.entries(model.operations)) {
    operations[name] = { name, ...(op.input ? { input: op.input } : {}), errors: (op.errors ?? []).map((e) => ({ shape: e.shape })) };
  }
  const reachable = new Set();
  const visit = (n) => {
    if (!n || reachable.has(n)) return;
    reachable.add(n);
    const sh = model.shapes[n];
    for (const m of Object.values(sh.members ?? {})) visit(m.shape);
    for (const k of ['member', 'key', 'value']) if (sh[k]) visit(sh[k].shape);
  };
  for (const op of Object.values(model.operations)) {
    visit(op.input?.shape);
    for (const e of op.errors ?? []) visit(e.shape);
  }
  const shapes = {};
  for (const [name, shape] of Object.entries(model.shapes)) {
    if (service === 'elbv2' && !reachable.has(name)) continue;
    const out = {};
    for (const k of KEEP_SHAPE) if (shape[k] !== undefined) out[k] = shape[k];
    if (out.members) out.members = Object.fromEntries(Object.entries(out.members).map(([m, v]) => [m, { shape: v.shape }]));
    for (const k of ['member', 'key', 'value']) if (out[k]) out[k] = { shape: out[k].shape };
    shapes[name] = out;
  }
  const { apiVersion, protocol, serviceId, targetPrefix, signingName, uid, xmlNamespace } = model.metadata;
  const trimmed = { metadata: { apiVersion, protocol, serviceId, targetPrefix, signingName, uid, xmlNamespace }, operations, shapes };
  writeFileSync(join(import.meta.dirname, `${service}.json`), JSON.stringify(trimmed) + '\n');
}
