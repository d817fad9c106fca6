/**
 * `nx g @ferry/nx:init` (also what `nx add @ferry/nx` runs): registers ferry's plugin in nx.json,
 * writes ferry.json with a `local` sandbox environment and documented staging/prod examples, and
 * keeps ferry's local files out of git. Safe to re-run: it only adds what is missing.
 */
import { logger, readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { PACKAGE_NAME, PLUGIN_ENTRY } from '../mode.ts';

export interface InitOptions {
  sandboxPort?: number;
  registryPort?: number;
  skipFormat?: boolean;
}

/**
 * Lines ferry adds to .gitignore: the sandbox data (at the root) and the per-environment image
 * records, which live under each project (`<project>/dist/ferry/`): a plain `dist/ferry/` would be
 * anchored to the root by git, since it contains a slash.
 */
export const GITIGNORE_LINES = ['.ferry/', '**/dist/ferry/'];

/** Does nx.json turn on Nx's import analysis, through the @nx/js plugin or `pluginsConfig["@nx/js"]`? */
export function analysesImports(nxJson: { plugins?: unknown[]; pluginsConfig?: Record<string, unknown> }): boolean {
  const plugins = (nxJson.plugins ?? []) as PluginEntry[];
  if (plugins.some((p) => pluginName(p) === '@nx/js' || pluginName(p) === '@nx/js/typescript')) return true;
  // Nx turns analyzeSourceFiles on when pluginsConfig["@nx/js"] exists and does not set it
  // (nx/src/plugins/js/utils/config.js, 23.3.1 and 24.0.7).
  const config = nxJson.pluginsConfig?.['@nx/js'] as { analyzeSourceFiles?: unknown } | undefined;
  return !!config && typeof config === 'object' && config.analyzeSourceFiles !== false;
}

/** `$schema` of ferry.json at the workspace root. */
export function ferrySchemaRef(): string {
  return PACKAGE_NAME ? `./node_modules/${PACKAGE_NAME}/schema/ferry.schema.json` : './libs/ferry/core/schema/ferry.schema.json';
}

/** The ferry.json init writes: `local` is live; `_examples` holds shapes to copy into `environments`. */
export function initialFerryJson(options: InitOptions = {}): Record<string, unknown> {
  const port = options.sandboxPort ?? 4566;
  const registryPort = options.registryPort ?? 5000;
  return {
    $schema: ferrySchemaRef(),
    defaultEnvironment: 'local',
    environments: {
      local: {
        kind: 'sandbox',
        region: 'us-east-1',
        cluster: 'ferry-local',
        endpoint: `http://127.0.0.1:${port}`,
        registry: `127.0.0.1:${registryPort}`,
        buildArgs: { BASE_IMAGE: 'ferry-sandbox/node:20' },
      },
    },
    _examples: {
      staging: {
        kind: 'aws',
        region: 'eu-west-1',
        cluster: 'staging',
        accountId: '123456789012',
        executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
        network: { subnets: ['subnet-0a1b2c3d'], securityGroups: ['sg-0123abcd'], assignPublicIp: false },
      },
      prod: {
        kind: 'aws',
        region: 'eu-west-1',
        cluster: 'prod',
        accountId: '123456789012',
        profile: 'prod',
        executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
        network: { subnets: ['subnet-0a1b2c3d'], securityGroups: ['sg-0123abcd'], assignPublicIp: false },
      },
    },
  };
}

type PluginEntry = string | { plugin: string; options?: unknown };

const pluginName = (p: PluginEntry) => (typeof p === 'string' ? p : p.plugin);

export default async function initGenerator(tree: Tree, options: InitOptions = {}): Promise<void> {
  const nxJson = readNxJson(tree) ?? {};
  const plugins = (nxJson.plugins ?? []) as PluginEntry[];
  if (!plugins.some((p) => pluginName(p) === PLUGIN_ENTRY)) {
    nxJson.plugins = [...plugins, PLUGIN_ENTRY] as typeof nxJson.plugins;
    updateNxJson(tree, nxJson);
    logger.info(`ferry: registered ${PLUGIN_ENTRY} in nx.json`);
  }
  if (!analysesImports(nxJson as Parameters<typeof analysesImports>[0])) {
    logger.warn(
      'ferry: nx.json registers no @nx/js plugin. Nx then sees imports between projects only through package.json dependencies; ' +
        'add { "plugin": "@nx/js", "options": { "analyzeSourceFiles": true } } (or, without @nx/js installed, "pluginsConfig": { "@nx/js": { "analyzeSourceFiles": true } }) ' +
        'so a library change affects the apps importing it (docs/adopting.md).',
    );
  }

  // Nx's import analysis (nx/js) silently skips every source file when it cannot resolve typescript.
  if (!tree.exists('node_modules/typescript/package.json')) {
    logger.warn('ferry: typescript is not installed here. Nx analyses imports between projects only when it is: `npm install -D typescript` (docs/adopting.md).');
  }

  if (!tree.exists('ferry.json')) {
    tree.write('ferry.json', `${JSON.stringify(initialFerryJson(options), null, 2)}\n`);
    logger.info('ferry: wrote ferry.json (environment "local": the sandbox; copy an entry of _examples into environments for AWS)');
  } else {
    logger.info('ferry: ferry.json exists; left as it is');
  }

  const gitignore = tree.exists('.gitignore') ? tree.read('.gitignore', 'utf-8') ?? '' : '';
  const present = new Set(gitignore.split(/\r?\n/).map((l) => l.trim()));
  const missing = GITIGNORE_LINES.filter((l) => !present.has(l));
  if (missing.length) {
    const sep = gitignore === '' || gitignore.endsWith('\n') ? '' : '\n';
    tree.write('.gitignore', `${gitignore}${sep}# ferry: local sandbox data and per-environment image records\n${missing.join('\n')}\n`);
  }
}
