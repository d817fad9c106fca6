// Request validation against the vendored AWS models (libs/ferry/core/models/{ecs,ecr}.json, trimmed
// from botocore's service-2.json). Each case names the model shape whose constraint it relies on.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AwsError } from './context.ts';
import { formatViolations, loadModel, modelValidator, shapeCheck, validatedOperations } from './model-validation.ts';

const ecs = modelValidator('ecs');
const ecr = modelValidator('ecr');

const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: 'v' }));

// [api, operation, input, expected violation paths (empty = valid), model source]
const cases: ['ecs' | 'ecr', string, unknown, string[], string][] = [
  ['ecs', 'DescribeServices', { services: ['a'] }, [], 'DescribeServicesRequest'],
  ['ecs', 'DescribeServices', {}, ['services'], 'DescribeServicesRequest.required = [services]'],
  ['ecs', 'CreateService', { serviceName: 's', launchType: 'FARGATE' }, [], 'LaunchType enum'],
  ['ecs', 'CreateService', { serviceName: 's', launchType: 'LAMBDA' }, ['launchType'], 'LaunchType enum [EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES]'],
  ['ecs', 'CreateService', { serviceName: 's', tags: tags(50) }, [], 'Tags max 50'],
  ['ecs', 'CreateService', { serviceName: 's', tags: tags(51) }, ['tags'], 'Tags max 50'],
  ['ecs', 'TagResource', { resourceArn: 'a', tags: [{ key: 'k'.repeat(129), value: 'v' }] }, ['tags.1.member.key'], 'TagKey max 128'],
  ['ecs', 'TagResource', { resourceArn: 'a', tags: [{ key: 'k', value: 'v'.repeat(257) }] }, ['tags.1.member.value'], 'TagValue max 256'],
  ['ecs', 'TagResource', { resourceArn: 'a', tags: [{ key: 'a#b', value: 'v' }] }, ['tags.1.member.key'], 'TagKey pattern ([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)'],
  ['ecs', 'TagResource', { resourceArn: 'a', tags: [{ key: 'Größe', value: 'ok v' }] }, [], 'TagKey pattern allows \\p{L} and \\p{Z}'],
  ['ecs', 'UpdateService', { service: 's', deploymentController: { type: 'BLUE' } }, ['deploymentController.type'], 'DeploymentControllerType enum'],
  ['ecs', 'ListServiceDeployments', { service: 's', status: ['ROLLBACK_SUCCESSFUL'] }, [], 'ServiceDeploymentStatus enum'],
  ['ecs', 'ListServiceDeployments', { service: 's', status: ['ROLLED_BACK'] }, ['status.1.member'], 'ServiceDeploymentStatus enum'],
  ['ecr', 'CreateRepository', { repositoryName: 'team/app-1' }, [], 'RepositoryName pattern'],
  ['ecr', 'CreateRepository', { repositoryName: 'Team/App' }, ['repositoryName'], 'RepositoryName pattern (lowercase)'],
  ['ecr', 'CreateRepository', { repositoryName: 'a' }, ['repositoryName'], 'RepositoryName min 2'],
  ['ecr', 'CreateRepository', { repositoryName: 'ok', imageTagMutability: 'SOMETIMES' }, ['imageTagMutability'], 'ImageTagMutability enum'],
  ['ecr', 'PutImage', { repositoryName: 'ok', imageManifest: '{}', imageTag: 't'.repeat(301) }, ['imageTag'], 'ImageTag max 300'],
  ['ecr', 'DescribeImages', { repositoryName: 'ok', maxResults: 1001 }, ['maxResults'], 'MaxResults range 1–1000'],
];

for (const [api, op, input, paths, source] of cases) {
  test(`${api} ${op}: ${paths.length ? `refuses ${paths.join(', ')}` : 'accepts'} (${source})`, () => {
    const v = (api === 'ecs' ? ecs : ecr).validate(op, input)!;
    assert.ok(v, `${op} is in the model`);
    assert.equal(
      v.map((x) => x.path),
      paths,
      JSON.stringify(v),
    );
  });
}

test('the error: the exception the operation declares, in AWS (Coral) wording', () => {
  const v = ecs.validate('DescribeServices', {})!;
  const e = ecs.error('DescribeServices', v);
  // Model: DescribeServices declares InvalidParameterException.
  assert.is(e.type, 'InvalidParameterException');
  assert.is(e.message, "1 validation error detected: Value null at 'services' failed to satisfy constraint: Member must not be null");
  // RegisterTaskDefinition's parameter errors are ClientException on ECS.
  assert.is(ecs.error('RegisterTaskDefinition', ecs.validate('RegisterTaskDefinition', { containerDefinitions: [] })!).type, 'ClientException');
  const repo = ecr.error('CreateRepository', ecr.validate('CreateRepository', { repositoryName: 'A' })!);
  assert.is(repo.type, 'InvalidParameterException');
  assert.match(repo.message, /^2 validation errors detected: Value 'A' at 'repositoryName' failed to satisfy constraint: Member must have length greater than or equal to 2; /);
  assert.match(formatViolations([{ path: 'p', value: 3, constraint: 'c' }]), /^1 validation error detected: Value '3' at 'p'/);
});

test('a member of the wrong JSON type is a SerializationException', () => {
  const e = ecs.error('UpdateService', ecs.validate('UpdateService', { service: 's', desiredCount: 'two' })!);
  assert.is(e.type, 'SerializationException');
  assert.match(e.message, /desiredCount/);
});

test('validatedOperations: the handler runs only for a valid request', async () => {
  let ran = 0;
  const table = validatedOperations('ecs', { DescribeServices: () => ++ran });
  try {
    await table.DescribeServices({});
    assert.unreachable('expected a validation error');
  } catch (e) {
    assert.instance(e, AwsError);
  }
  assert.is(ran, 0);
  assert.is(await table.DescribeServices({ services: ['x'] }), 1);
});

test('requests ignore members the model does not declare; shapeCheck with unknownMembers reports them with the known ones', () => {
  // AWS JSON services ignore unknown members: the sandbox accepts them as ECS does.
  assert.equal(ecs.validate('RegisterTaskDefinition', { family: 'f', containerDefinitions: [{ name: 'a', portMapings: [] }] }), []);
  const strict = shapeCheck(loadModel('ecs'), 'RegisterTaskDefinitionRequest', { unknownMembers: true });
  const out = strict({ family: 'f', containerDefinitions: [{ name: 'a', portMapings: [] }] });
  assert.is(out.length, 1);
  assert.is(out[0].path, 'containerDefinitions.1.member.portMapings');
  assert.is(out[0].constraint, 'Member is not in the model');
  assert.ok(out[0].known?.includes('portMappings'));
  assert.equal(strict({ family: 'f', containerDefinitions: [{ name: 'a', portMappings: [{ containerPort: 80 }] }] }), []);
});

test.run();
