/**
 * The benchmark entry (`npm run bench`): runs each group in order, prints its table, and writes every
 * table, with the machine it ran on, to runs/bench.json. Add a group by appending it to `groups`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { packageRoot } from '../src/files/package-root.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { createWasmBackend, enableRelaxedSimd } from '../src/backend/wasm/node.js';
import type { BenchContext, BenchGroup, BenchRow } from './bench-group.js';
import { gemmShapesGroup } from './gemm-shapes.js';
import { inferenceGroup } from './inference.js';
import { layersGroup } from './layers.js';
import { peersGroup } from './peers.js';
import { pytorchGroup } from './pytorch.js';
import { cliGroup } from './cli.js';
import { explainGroup } from './explain.js';
import { simdCeilingGroup } from './simd-ceiling.js';
import { threadsGroup } from './threads.js';
import { presetTrainingStepGroup, trainingStepGroup } from './training-step.js';

const groups: BenchGroup[] = [simdCeilingGroup, gemmShapesGroup, layersGroup, trainingStepGroup, presetTrainingStepGroup, inferenceGroup, threadsGroup, pytorchGroup, cliGroup, explainGroup, peersGroup];

/**
 * `npm run bench -- --only NAME[,NAME]` runs the groups whose names contain one of the NAMEs (any case),
 * in the usual order; without the flag, all of them.
 */
function selectedGroups(argv: string[]): BenchGroup[] {
  const at = argv.indexOf('--only');
  if (at < 0) return groups;
  const wanted = (argv[at + 1] ?? '').split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
  const unknown = wanted.filter((name) => !groups.some((group) => group.name.toLowerCase().includes(name)));
  if (wanted.length === 0 || unknown.length > 0) {
    const problem = wanted.length === 0 ? 'needs group names, separated by commas' : `matches no group for '${unknown.join("', '")}'`;
    console.error(`--only ${problem}; the groups are: ${groups.map((group) => `'${group.name}'`).join(', ')}`);
    process.exit(2);
  }
  return groups.filter((group) => wanted.some((name) => group.name.toLowerCase().includes(name)));
}

async function main(): Promise<void> {
  enableRelaxedSimd(); // as the xcnn command does: the bench measures the kernels the command runs
  const selected = selectedGroups(process.argv.slice(2));
  const context: BenchContext = {
    wasm: await createWasmBackend(),
    reference: new ReferenceBackend({ precision: 'float32' }),
    ceilingGflops: null,
    gemmGflops: {},
  };
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version };
  console.log(`xcnn benchmarks — ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; one core used\n`);

  const results: { name: string; description: string; rows: BenchRow[] }[] = [];
  for (const group of selected) {
    const started = performance.now();
    const rows = await group.run(context);
    console.log(`${group.name} — ${group.description} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    console.table(rows);
    results.push({ name: group.name, description: group.description, rows });
  }

  const path = join(packageRoot(), 'runs', 'bench.json');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify({ date: new Date().toISOString(), machine, groups: results }, null, 2)}\n`);
  console.log(`wrote ${path}`);
}

await main();
