/**
 * Which form of ferry is running: the sources in this repository (tsx, `scripts/<target>.ts`, the
 * executor at `./tools/nx-plugin`) or the npm package built by tools/package/build.mjs (bundled
 * `.mjs` scripts beside the executor, executor `<package>:script`).
 *
 * The package build replaces the identifier `FERRY_PACKAGE_NAME` with the package's name (esbuild
 * `define`); in the sources it is never declared at runtime, so `typeof` finds nothing. One plugin
 * source serves both forms, and nothing here reads the repository's layout.
 */
declare const FERRY_PACKAGE_NAME: string | undefined;

/** The npm package name when running from the package (`@ferry/nx`); undefined in the repository. */
export const PACKAGE_NAME: string | undefined = typeof FERRY_PACKAGE_NAME === 'string' ? FERRY_PACKAGE_NAME : undefined;

/** The executor the inferred targets use. */
export const SCRIPT_EXECUTOR_NAME: string = PACKAGE_NAME ? `${PACKAGE_NAME}:script` : './tools/nx-plugin:script';

/** How nx.json names the plugin (what `nx g …:init` registers): in the repository, index.ts compiled without Nx's TypeScript transpiler (index.cjs). */
export const PLUGIN_ENTRY: string = PACKAGE_NAME ?? './tools/nx-plugin/src/index.cjs';
