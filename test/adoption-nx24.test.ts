// The adoption suite (adoption.test.ts) against Nx 24: the same foreign workspace, installing
// nx 24.0.7 and @nx/devkit 24.0.0. adoption.test.ts alone runs it against Nx 23.3.1.
process.env.FERRY_ADOPTION_NX ??= '24.0.7';
await import('./adoption.test.ts');
