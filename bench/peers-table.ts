/**
 * README's peers table, generated: `node dist/bench/peers-table.js [runs/peers.json]` prints the Markdown table
 * of a peers run (bench/peers.ts writes the file); with `--svg` it also redraws the run's figure from it
 * (docs/figures/peers.svg for the paper net, peers-NAME.svg for another preset).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/files/package-root.js';
import { markdownTable, peersOutputs, svgTable, type PeersFile } from './peers-report.js';

const args = process.argv.slice(2);
const path = args.find((arg) => !arg.startsWith('--')) ?? join(packageRoot(), 'runs', 'peers.json');
let file: PeersFile;
try {
  file = JSON.parse(readFileSync(path, 'utf8')) as PeersFile;
} catch (error) {
  console.error(`${path}: cannot read a peers run (${error instanceof Error ? error.message : String(error)}); run \`npm run bench -- --only peers\` first`);
  process.exit(1);
}
process.stdout.write(markdownTable(file));
if (args.includes('--svg')) writeFileSync(join(packageRoot(), peersOutputs(file.network, false).svg!), svgTable(file));
