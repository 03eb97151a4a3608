// Loopscope's version, one source: package.json. scripts/build.mjs injects it into the bundles
// (esbuild `define` of __LOOPSCOPE_VERSION__); unbundled code (tests under tsx) falls back to the
// copy the protocol generator took from package.json, which the drift test keeps equal to it.

import { PACKAGE_VERSION } from './wire.generated';

declare const __LOOPSCOPE_VERSION__: string | undefined;

export const VERSION: string = typeof __LOOPSCOPE_VERSION__ === 'string' ? __LOOPSCOPE_VERSION__ : PACKAGE_VERSION;
