/**
 * `xcnn build-page --out DIR`: the page — drawing, explanations and the studio that trains in the tab — as
 * static files (src/serve/static-page.ts) that any static file server or host serves, with no xcnn server
 * behind it. The model gets every command's checks, and --out the out-folder checks, before a file is written.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { usageError } from '../errors.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { packageRoot } from '../files/package-root.js';
import { STATIC_TEST_IMAGES, STATIC_TRAIN_IMAGES, staticPageFiles } from '../serve/static-page.js';
import { numberValue, wholeRange, type CommandSpec, type FlagValues } from './args.js';
import { archFlag, shippedModelNotice } from './common.js';
import { checkOutputFolder } from './output-folder.js';
import { pageModelFrom } from './serve-model.js';

export const buildPageSpec: CommandSpec = {
  name: 'build-page',
  brief: 'Writes the page (draw, explain, train in the tab) as static files for any web server.',
  summary:
    'Writes the page that `xcnn serve` serves — drawing and explaining, and the studio that trains a network in the tab — as static files: the page, the core modules it imports, the kernels, the model and the first images of each data set. Serve the folder with any static file server (python3 -m http.server, nginx, a static host); nothing runs on the server. Files already in the folder with the same names are replaced; others are left alone.',
  usage: 'xcnn build-page --out DIR [--model FILE] [--arch SPEC] [--input CxHxW] [--train-images N] [--test-images N]',
  flags: {
    out: { type: 'string', value: 'DIR', help: 'The folder to write the page into; created if missing.' },
    model: { type: 'string', value: 'FILE', help: 'The model the page starts with (default: the small pretrained MNIST model in data/mnist-small.safetensors, said on stderr); the page can also open one of yours.' },
    arch: { ...archFlag.arch, help: 'The architecture of a --model without one (a PyTorch nn.Sequential state_dict): the page gets the model with it written in.' },
    input: archFlag.input,
    'train-images': { type: 'string', value: 'N', help: 'The training images of each data set (MNIST, and Fashion-MNIST where this machine has it) the studio can train on, the first N; 0 leaves the data sets out.', default: String(STATIC_TRAIN_IMAGES), range: wholeRange(0, 60_000) },
    'test-images': { type: 'string', value: 'N', help: 'The test images of each data set, the first N.', default: String(STATIC_TEST_IMAGES), range: wholeRange(1, 10_000) },
    help: { type: 'boolean', help: 'Show this help.' },
  },
};

export async function buildPageCommand(values: FlagValues): Promise<number> {
  if (values.out === undefined) throw usageError('xcnn build-page needs --out DIR: the folder to write the page into, e.g. --out page');
  const out = String(values.out);
  checkOutputFolder(out);
  const model = await pageModelFrom(values);
  if (values.model === undefined) console.error(shippedModelNotice());
  const files = staticPageFiles(packageRoot(), model.bytes, { trainImages: numberValue(values, 'train-images')!, testImages: numberValue(values, 'test-images')! });
  let bytes = 0;
  for (const [path, contents] of files) {
    mkdirSync(dirname(join(out, path)), { recursive: true });
    writeFileAtomic(join(out, path), contents);
    bytes += contents.length;
  }
  console.log(`xcnn build-page: wrote the page to ${out} (${files.size} files, ${(bytes / 1e6).toFixed(1)} MB; model ${model.fileName}); serve it with any static file server, e.g. python3 -m http.server -d ${out}`);
  return 0;
}
