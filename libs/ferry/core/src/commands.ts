/**
 * The commands and paths messages name, for the form of ferry that runs: the sources in this
 * repository (`npm run sandbox:up`, `libs/ferry/core/schema`) or the npm package in a user's
 * workspace (`npx ferry sandbox up`, `node_modules/@ferry/nx/schema`). The package build replaces
 * `FERRY_PACKAGE_NAME` with the package's name (esbuild `define`, tools/package/build.mjs); in the
 * sources it is never declared at run time, so `typeof` finds nothing.
 */
declare const FERRY_PACKAGE_NAME: string | undefined;

const PACKAGE: string | undefined = typeof FERRY_PACKAGE_NAME === 'string' ? FERRY_PACKAGE_NAME : undefined;

/** How the user starts the sandbox. */
export const SANDBOX_UP: string = PACKAGE ? 'npx ferry sandbox up' : 'npm run sandbox:up';

/** Where the JSON schemas of deploy.json and ferry.json are, relative to the workspace root. */
export const SCHEMA_DIR: string = PACKAGE ? `node_modules/${PACKAGE}/schema` : 'libs/ferry/core/schema';
