export * from './process.ts';
export * from './builder.ts';
export * from './build-args.ts';
export * from './build-output.ts';
export * from './docker.ts';
export * from './image-record.ts';
export * from './build-image.ts';
export * from './push-image.ts';
