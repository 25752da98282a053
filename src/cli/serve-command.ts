/**
 * `xcnn serve`: the page — draw a digit, see the ten probabilities and the explanation as you draw —
 * served on 127.0.0.1 (another interface only with --host). The browser runs the network itself, on the
 * WebAssembly kernels in a Web Worker; the server only sends the page's own files (src/serve/).
 * Ctrl-C stops it.
 */
import { basename } from 'node:path';
import { packageRoot } from '../files/package-root.js';
import { checkedHost, DEFAULT_HOST, startPageServer } from '../serve/page-server.js';
import { pageContent } from '../serve/served-file.js';
import { numberValue, wholeRange, type CommandSpec, type FlagValues } from './args.js';
import { archFlag, shippedModelNotice } from './common.js';
import { pageModelFrom } from './serve-model.js';

export const serveSpec: CommandSpec = {
  name: 'serve',
  brief: 'Serves the page where you draw a digit and see it explained, and train a network in the tab.',
  summary:
    'Serves the page where you draw a digit (mouse, finger or pen) and watch its prediction and explanation update as you draw, and where the studio trains a network on MNIST, Fashion-MNIST or a folder of your pictures, with live curves and the report\'s figures. The network runs in the browser, on the WebAssembly kernels in a Web Worker; the server listens on 127.0.0.1 and sends only the page\'s files, read once at start-up. Ctrl-C stops.',
  usage: 'xcnn serve [--port 8080] [--host 127.0.0.1] [--model FILE] [--arch SPEC] [--input CxHxW]',
  flags: {
    port: { type: 'string', value: 'N', help: 'The port to listen on; 0 picks a free one.', default: '8080', range: wholeRange(0, 65_535) },
    host: {
      type: 'string',
      value: 'ADDRESS',
      help: 'The address to listen on; 127.0.0.1 keeps the page to this machine, 0.0.0.0 (every interface, with a warning) opens it and the model to the network; an empty one is refused.',
      default: DEFAULT_HOST,
      check: (text) => checkedHost(text),
    },
    model: { type: 'string', value: 'FILE', help: 'The model the page starts with (default: the small pretrained MNIST model in data/mnist-small.safetensors, said on stderr); the page can also load one of yours.' },
    arch: { ...archFlag.arch, help: 'The architecture of a --model without one (a PyTorch nn.Sequential state_dict): the page is sent the model with it written in.' },
    input: archFlag.input,
    help: { type: 'boolean', help: 'Show this help.' },
  },
};

/** Serves the page until SIGINT or SIGTERM, then closes the server and returns 0. */
export async function serveCommand(values: FlagValues): Promise<number> {
  const port = numberValue(values, 'port')!;
  const host = checkedHost(String(values.host)); // checked by the flag table too; this strips an IPv6 address's brackets
  const model = await pageModelFrom(values);
  const modelPath = model.path;
  const files = pageContent(packageRoot(), model);
  const server = await startPageServer({ files, host, port });
  if (values.model === undefined) console.error(shippedModelNotice()); // once the server is up: a refusal stays one line
  if (!server.loopback) {
    console.error(
      `xcnn serve: warning: listening on ${server.address}${server.address === '0.0.0.0' || server.address === '::' ? ' (every network interface)' : ''}: ` +
        `the page and the model ${basename(modelPath)} can be reached from other machines; leave out --host to keep them to this one`,
    );
  }
  // Ctrl-C is listened for before the URL is printed: a signal sent as soon as the URL shows still stops cleanly.
  const stopped = new Promise<void>((stop) => {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  console.log(`xcnn serve: the page is at ${server.url} (Ctrl-C stops)`);
  await stopped;
  await server.close();
  console.log('xcnn serve: stopped');
  return 0;
}
