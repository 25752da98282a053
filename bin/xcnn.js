#!/usr/bin/env node
// The xcnn command. The TypeScript sources are compiled to dist/ by `npm install` (the prepare script), and the
// command is bundled into one file there (scripts/bundle-cli.mjs: it starts in about half the time).
import { existsSync, statSync } from 'node:fs';

const modules = new URL('../dist/src/cli/main.js', import.meta.url);
const bundle = new URL('../dist/src/cli/xcnn-bundle.js', import.meta.url);
if (!existsSync(modules)) {
  console.error('error: xcnn is not built: run `npm run build` (npm install does it) in the xcnn folder');
  process.exit(1);
}
// The bundle is made from the modules: one older than them (a `tsc` run without the bundling step) is stale.
// --debug prints stacks, which name the modules' files only when they run as modules.
const args = process.argv.slice(2);
const bundleIsCurrent = existsSync(bundle) && statSync(bundle).mtimeMs >= statSync(modules).mtimeMs;
const { main } = await import((bundleIsCurrent && !args.includes('--debug') ? bundle : modules).href);
process.exitCode = await main(args);
