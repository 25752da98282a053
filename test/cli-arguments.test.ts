/**
 * The command line's arguments as a specification: every rule parseFlags keeps, each answered with one
 * line and exit status 2 before any file is opened — a flag given twice, an unknown flag or command (with
 * the nearest one), a flag that does not apply to the others, a number outside its documented range — and
 * --version and the help text. The expected ranges and applicabilities are written out here, from the
 * README's table and from what each explanation method reads (src/explain/methods/by-name.ts), not taken
 * from the flag tables under test. `main()` runs in this process; only --version also runs the real
 * bin/xcnn.js. A run meant to pass the flag checks is given a missing model or data folder, so it stops at
 * the first file with that file's error: proof that the flags were checked before it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { editDistance, flagHelp, helpText, nearestName } from '../src/cli/args.js';
import { commandSpecs, main, mainHelp } from '../src/cli/main.js';
import { METHOD_NAMES } from '../src/explain/methods/by-name.js';
import { encodeModel } from '../src/model/model-file.js';
import { createNetwork } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { expectOneLineError, type CliRun } from './fixtures/cli.js';
import { idxBytes } from './fixtures/files.js';
import { greyPng } from './fixtures/picture-files.js';

const work = mkdtempSync(join(tmpdir(), 'xcnn-arguments-'));
const absentModel = join(work, 'absent.safetensors');
const absentData = join(work, 'absent-data');
const MODEL_MISSING = /absent\.safetensors: cannot read the model: no such file/;
const DATA_MISSING = /absent-data: no such data folder/;
/** A picture for predict, so that it gets past its paths to the model. */
const picture = join(work, 'picture.png');
writeFileSync(picture, greyPng(0));

/** `xcnn ...argv` in this process: its exit status and what it printed. */
async function xcnn(...argv: string[]): Promise<CliRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...parts) => void stdout.push(parts.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...parts) => void stderr.push(parts.join(' ')));
  const status = await main(argv);
  vi.restoreAllMocks();
  return { status, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

afterEach(() => vi.restoreAllMocks());

/** Each command's words that get past the flag checks and stop at its first file, and that file's error. */
const REACHES_FILES: Record<string, { args: string[]; status: 1 | 2; error: RegExp }> = {
  train: { args: ['--data', absentData, '--out', join(work, 'out')], status: 2, error: DATA_MISSING },
  evaluate: { args: ['--model', absentModel], status: 1, error: MODEL_MISSING },
  explain: { args: ['--model', absentModel, '--index', '0'], status: 1, error: MODEL_MISSING },
  report: { args: ['--model', absentModel], status: 1, error: MODEL_MISSING },
  faithfulness: { args: ['--model', absentModel], status: 1, error: MODEL_MISSING },
  serve: { args: ['--model', absentModel], status: 1, error: /absent\.safetensors: cannot read the model: no such file/ },
  'build-page': { args: ['--model', absentModel, '--out', join(work, 'page')], status: 1, error: /absent\.safetensors: cannot read the model: no such file/ },
  predict: { args: ['--model', absentModel, picture], status: 1, error: MODEL_MISSING },
  // gradcheck reads no file: a spec whose kernel is larger than its input is refused once the flags are read.
  gradcheck: { args: ['--arch', 'conv(2,9) flatten linear(2)', '--input', '1x4x4'], status: 2, error: /conv1/ },
};

async function expectFlagsAccepted(command: string, ...args: string[]): Promise<void> {
  const { args: base, status, error } = REACHES_FILES[command];
  expectOneLineError(await xcnn(command, ...base, ...args), status, error);
}

describe('a flag that takes a value, given twice', () => {
  it('is refused naming both values, for every such flag of every command', async () => {
    for (const spec of commandSpecs) {
      for (const [name, flag] of Object.entries(spec.flags)) {
        if (flag.type !== 'string') continue;
        const run = await xcnn(spec.name, `--${name}`, 'first', `--${name}=second`);
        expectOneLineError(run, 2, `xcnn ${spec.name}: --${name} given twice ('first' and 'second'); give it once`);
      }
    }
  });

  it('is refused even when both values are the same and valid', async () => {
    expectOneLineError(await xcnn('train', '--data', absentData, '--epochs', '2', '--epochs', '3'), 2, "xcnn train: --epochs given twice ('2' and '3'); give it once");
    expectOneLineError(await xcnn('evaluate', '--model', absentModel, '--model', absentModel), 2, `xcnn evaluate: --model given twice ('${absentModel}' and '${absentModel}'); give it once`);
  });

  it('a repeated switch (a flag without a value) says the same thing twice and is accepted', async () => {
    await expectFlagsAccepted('evaluate', '--json', '--json');
    await expectFlagsAccepted('report', '--png', '--png');
  });
});

describe('an unknown flag or command', () => {
  it('names the nearest flag of the command when one is a typo away (a letter dropped, added, changed or two swapped)', async () => {
    const cases: Array<[string, string, string]> = [
      ['train', 'epoch', 'epochs'],
      ['train', 'ephocs', 'epochs'],
      ['train', 'bacth', 'batch'],
      ['train', 'seeds', 'seed'],
      ['train', 'checkpoint-evry', 'checkpoint-every'],
      ['train', 'testlimit', 'test-limit'],
      ['explain', 'indx', 'index'],
      ['explain', 'methd', 'method'],
      ['explain', 'colourmap', 'colormap'],
      ['report', 'per-cels', 'per-cell'],
      ['faithfulness', 'metods', 'methods'],
      ['serve', 'prot', 'port'],
    ];
    for (const [command, typed, meant] of cases) {
      expectOneLineError(await xcnn(command, `--${typed}`, '1'), 2, `xcnn ${command}: unknown option '--${typed}'; did you mean --${meant}? (see xcnn ${command} --help)`);
    }
  });

  it('names the flag a beginning stands for (three letters or more)', async () => {
    expectOneLineError(await xcnn('train', '--checkpoint', '5'), 2, "xcnn train: unknown option '--checkpoint'; did you mean --checkpoint-every? (see xcnn train --help)");
    expectOneLineError(await xcnn('explain', '--list'), 2, "xcnn explain: unknown option '--list'; did you mean --list-layers? (see xcnn explain --help)");
  });

  it('suggests nothing when nothing is close', async () => {
    expectOneLineError(await xcnn('train', '--frobnicate'), 2, "xcnn train: unknown option '--frobnicate' (see xcnn train --help)");
    expectOneLineError(await xcnn('train', '-x'), 2, "xcnn train: unknown option '-x' (see xcnn train --help)");
  });

  it('is refused before the known flags are checked, so the typo is the one line the user sees', async () => {
    expectOneLineError(await xcnn('train', '--epochs', '0', '--bacth', '8'), 2, "xcnn train: unknown option '--bacth'; did you mean --batch? (see xcnn train --help)");
  });

  it('names the nearest command, or lists them all', async () => {
    for (const [typed, meant] of [['trian', 'train'], ['evalute', 'evaluate'], ['explian', 'explain'], ['reprot', 'report'], ['faithfullness', 'faithfulness'], ['serv', 'serve'], ['predcit', 'predict'], ['gradchek', 'gradcheck'], ['verison', 'version']]) {
      expectOneLineError(await xcnn(typed), 2, `xcnn: unknown command '${typed}'; did you mean ${meant}? (see xcnn --help)`);
    }
    expectOneLineError(await xcnn('fit'), 2, "xcnn: unknown command 'fit'; commands: train, evaluate, explain, predict, report, faithfulness, serve, build-page, export, gradcheck (see xcnn --help)");
    expectOneLineError(await xcnn('--epochs', '3'), 2, "xcnn: '--epochs' is not a command; the command comes first, e.g. xcnn train --epochs; commands: train, evaluate, explain, predict, report, faithfulness, serve, build-page, export, gradcheck (see xcnn --help)");
  });

  it('measures closeness by edits, a swap of neighbours counting one', () => {
    expect(editDistance('trian', 'train')).toBe(1);
    expect(editDistance('epoch', 'epochs')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(nearestName('x', ['n', 'lr'])).toBeUndefined(); // one letter is one edit from any other: no guess
    expect(nearestName('bogus', ['batch', 'epochs'])).toBeUndefined();
  });
});

describe('a flag that does not apply', () => {
  /** What each explain method reads, from src/explain/methods/by-name.ts and the options explain-command passes it. */
  const READS: Record<string, string[]> = {
    samples: ['smoothgrad', 'kernel-shap', 'lime'],
    sigma: ['smoothgrad'],
    steps: ['integrated-gradients'],
    window: ['occlusion'],
    stride: ['occlusion'],
    patch: ['kernel-shap', 'lime'],
    seed: ['smoothgrad', 'kernel-shap', 'lime'],
  };
  const VALID: Record<string, string> = { samples: '8', sigma: '0.1', steps: '4', window: '3', stride: '1', patch: '2', seed: '7' };

  it('explain: each method setting is refused for every method that does not read it, and accepted for those that do', async () => {
    for (const method of METHOD_NAMES) {
      for (const [flag, readers] of Object.entries(READS)) {
        const args = ['--method', method, `--${flag}`, VALID[flag]];
        if (readers.includes(method)) await expectFlagsAccepted('explain', ...args);
        else expectOneLineError(await xcnn('explain', ...REACHES_FILES.explain.args, ...args), 2, `--${flag} applies only to ${readers.join(', ')}; ${method} does not read it (leave --${flag} out)`);
      }
    }
  });

  const CAM = ['grad-cam', 'grad-cam++', 'xgrad-cam', 'layer-cam', 'hires-cam', 'eigen-cam', 'score-cam'];
  const SIGNED = ['gradient-x-input', 'integrated-gradients', 'guided-backprop', 'guided-grad-cam', 'occlusion', 'kernel-shap', 'lime'];

  it('explain: --placement only for the CAM methods, --layer only for those that read a conv block, --colormap only for unsigned maps', async () => {
    for (const method of METHOD_NAMES) {
      const placement = ['--method', method, '--placement', 'receptive-field'];
      if (CAM.includes(method)) await expectFlagsAccepted('explain', ...placement);
      else expectOneLineError(await xcnn('explain', ...REACHES_FILES.explain.args, ...placement), 2, `--placement receptive-field: only for the CAM methods, whose maps live on a convolution's cells; ${method}'s map is already on the input's pixels (leave --placement out)`);

      const layer = ['--method', method, '--layer', 'conv1'];
      if ([...CAM, 'guided-grad-cam'].includes(method)) await expectFlagsAccepted('explain', ...layer);
      else expectOneLineError(await xcnn('explain', ...REACHES_FILES.explain.args, ...layer), 2, `--layer: only for the methods that read a conv block (the CAM family and guided-grad-cam); ${method} explains the input (leave --layer out)`);

      const colormap = ['--method', method, '--colormap', 'viridis'];
      if (!SIGNED.includes(method)) await expectFlagsAccepted('explain', ...colormap);
      else expectOneLineError(await xcnn('explain', ...REACHES_FILES.explain.args, ...colormap), 2, `--colormap: ${method}'s map is signed, and its figures are always drawn in the diverging blue–red colormap with zero in the middle (leave --colormap out)`);
    }
    expectOneLineError(await xcnn('explain', ...REACHES_FILES.explain.args, '--figures', '0', '--colormap', 'viridis'), 2, '--colormap: --figures 0 draws no figures (leave --colormap out)');
  });

  it('explain: --index and --image exclude each other, --data is for --index, --list-layers stands alone', async () => {
    expectOneLineError(await xcnn('explain', '--model', absentModel, '--index', '0', '--image', 'digit.png'), 2, '--image and --index both choose the images to explain: give one');
    expectOneLineError(await xcnn('explain', '--model', absentModel, '--image', 'digit.png', '--data', work), 2, '--data applies only with --index (test images); --image explains your PNG without reading a data set (leave --data out)');
    for (const other of [['--index', '0'], ['--image', 'digit.png'], ['--method', 'lime'], ['--out', 'x'], ['--json']]) {
      expectOneLineError(await xcnn('explain', '--model', absentModel, '--list-layers', ...other), 2, `--list-layers prints the model's conv blocks and exits; ${other[0]} does nothing with it (leave one of them out)`);
    }
    expectOneLineError(await xcnn('explain', '--model', absentModel, '--list-layers', '--backend', 'ts'), 1, MODEL_MISSING);
  });

  it('train: only --epochs, --checkpoint-every and the learning rate may come with --resume; --print-shapes plans a new network; --widths is the paper at other widths', async () => {
    const values: Record<string, string[]> = { data: [work], batch: ['8'], seed: ['2'], arch: ['lenet5'], widths: ['8,16,32'], limit: ['10'], 'test-limit': ['10'], backend: ['ts'], threads: ['1'], out: ['x'] };
    for (const [flag, value] of Object.entries(values)) {
      expectOneLineError(await xcnn('train', '--resume', work, `--${flag}`, ...value), 2, `--${flag} cannot change on --resume: the run continues with its checkpoint's settings (only --epochs, --checkpoint-every, --lr, --schedule and --warmup may be given)`);
    }
    expectOneLineError(await xcnn('train', '--resume', work, '--print-shapes'), 2, '--print-shapes and --resume do different things: give one (--print-shapes plans a new network; --resume continues a run with its own)');
    expectOneLineError(await xcnn('train', '--widths', '8,16,32', '--arch', 'paper'), 2, '--widths and --arch both describe the network: give one (--widths C1,C2,H is the paper preset at other widths)');
    // --epochs, --checkpoint-every and the learning rate pass the flag checks and reach the checkpoint, which is missing here.
    expectOneLineError(await xcnn('train', '--resume', work, '--epochs', '5', '--checkpoint-every', '9'), 1, /checkpoint\.safetensors: no checkpoint to resume from/);
    expectOneLineError(await xcnn('train', '--resume', work, '--lr', '0.01', '--schedule', 'cosine', '--warmup', '5'), 1, /checkpoint\.safetensors: no checkpoint to resume from/);
  });

  it('train: the recipe is the checkpoint\'s on --resume; --momentum and --nesterov are SGD\'s, Nesterov needs a momentum', async () => {
    const recipe: Record<string, string[]> = {
      optimizer: ['sgd'], 'weight-decay': ['0.1'], momentum: ['0.9'], 'clip-norm': ['1'], 'label-smoothing': ['0.1'], patience: ['3'], monitor: ['val-accuracy'],
    };
    for (const [flag, value] of Object.entries(recipe)) {
      expectOneLineError(await xcnn('train', '--resume', work, `--${flag}`, ...value), 2, `--${flag} cannot change on --resume: the run continues with its checkpoint's settings (only --epochs, --checkpoint-every, --lr, --schedule and --warmup may be given)`);
    }
    expectOneLineError(await xcnn('train', ...REACHES_FILES.train.args, '--momentum', '0.9'), 2, "--momentum is SGD's, not adam's; give --optimizer sgd, or leave --momentum out");
    expectOneLineError(await xcnn('train', ...REACHES_FILES.train.args, '--optimizer', 'adamw', '--nesterov'), 2, "--nesterov is SGD's, not adamw's; give --optimizer sgd, or leave --nesterov out");
    expectOneLineError(await xcnn('train', ...REACHES_FILES.train.args, '--optimizer', 'sgd', '--nesterov'), 2, '--nesterov needs a momentum; give --momentum μ above 0 too');
    await expectFlagsAccepted('train', '--optimizer', 'sgd', '--momentum', '0.9', '--nesterov', '--weight-decay', '0.0005');
    await expectFlagsAccepted('train', '--optimizer', 'adamw', '--schedule', 'one-cycle', '--warmup', '100', '--clip-norm', '2', '--label-smoothing', '0.1');
    expectOneLineError(await xcnn('train', ...REACHES_FILES.train.args, '--optimizer', 'rmsprop'), 2, "--optimizer: 'rmsprop' is not one of adam, adamw, sgd");
  });

  it('train: --patience and --monitor watch the validation set, so only with --val-split; refused before the data is read', async () => {
    // REACHES_FILES' data folder is missing: the flag's line, not the folder's, shows the data was not read.
    expectOneLineError(await xcnn('train', ...REACHES_FILES.train.args, '--patience', '3'), 2, '--patience watches the validation set, and this data has none; give --val-split F, or leave --patience out');
    expectOneLineError(await xcnn('train', ...REACHES_FILES.train.args, '--monitor', 'val-accuracy'), 2, '--monitor chooses the best epoch by the validation set, and this data has none; give --val-split F, or leave --monitor out');
    expectOneLineError(await xcnn('train', ...REACHES_FILES.train.args, '--monitor', 'val-loss'), 2, '--monitor chooses the best epoch by the validation set, and this data has none; give --val-split F, or leave --monitor out');
    await expectFlagsAccepted('train', '--val-split', '0.1', '--patience', '3', '--monitor', 'val-accuracy');
    await expectFlagsAccepted('train', '--val-split', '0.1', '--monitor', 'val-loss');
  });

  it('train: --schedule is constant, step(S[,γ]), cosine or one-cycle, each part in its range', async () => {
    for (const schedule of ['constant', 'cosine', 'one-cycle', 'step(10)', 'step(3,0.5)', 'step( 3 , 1 )']) await expectFlagsAccepted('train', '--schedule', schedule);
    const refusals: Array<[string, string]> = [
      ['linear', "--schedule: 'linear' is not a schedule; give constant, step(S,γ), cosine, one-cycle"],
      ['step', "--schedule: 'step': step takes S (epochs between decays) and optionally γ, e.g. step(10,0.1)"],
      ['step(1,2,3)', "--schedule: 'step(1,2,3)': step takes S (epochs between decays) and optionally γ, e.g. step(10,0.1)"],
      ['step(0)', "--schedule: '0' is not a whole number from 1 to 10000"],
      ['step(2,0)', "--schedule: '0' is not a positive number up to 1"],
      ['step(2,1.5)', "--schedule: '1.5' is not a positive number up to 1"],
      ['cosine(5)', "--schedule: cosine takes no parameters; give 'cosine'"],
    ];
    for (const [schedule, message] of refusals) expectOneLineError(await xcnn('train', ...REACHES_FILES.train.args, '--schedule', schedule), 2, message);
  });

  it('every command with --input: only with --arch', async () => {
    for (const command of ['evaluate', 'explain', 'report', 'faithfulness', 'serve']) {
      expectOneLineError(await xcnn(command, ...REACHES_FILES[command].args, '--input', '1x28x28'), 2, '--input applies only with --arch (the input size of a model given by its architecture; a model xcnn wrote records its own); leave --input out, or give --arch');
      await expectFlagsAccepted(command, '--input', '1x28x28', '--arch', 'paper');
    }
  });

  it('--threads above 1 needs the wasm backend; faithfulness\' --layer needs a method that reads a conv block', async () => {
    for (const command of ['train', 'evaluate', 'explain', 'report']) {
      expectOneLineError(await xcnn(command, ...REACHES_FILES[command].args, '--backend', 'ts', '--threads', '2'), 2, '--threads 2 needs the wasm backend; the ts reference runs on one thread (leave --threads out, or give --backend wasm)');
      await expectFlagsAccepted(command, '--backend', 'ts', '--threads', '1');
    }
    expectOneLineError(await xcnn('faithfulness', '--model', absentModel, '--methods', 'saliency,lime', '--layer', 'relu1'), 2, '--layer: only for the methods that read a conv block (the CAM family and guided-grad-cam); saliency,lime do not (leave --layer out)');
    await expectFlagsAccepted('faithfulness', '--methods', 'saliency,grad-cam', '--layer', 'relu1');
    await expectFlagsAccepted('faithfulness', '--layer', 'relu1');
  });
});

describe('numbers out of range', () => {
  /** Each number flag's documented range (README, "The command line"); `real` numbers may be fractions, `above` excludes the minimum. */
  type Range = { min: number; max: number; real?: boolean; above?: boolean; with?: string[] };
  const SEED = { min: 0, max: 4_294_967_295 };
  const THREADS = { min: 1, max: 64 };
  const RANGES: Record<string, Record<string, Range>> = {
    train: {
      epochs: { min: 1, max: 10_000 },
      batch: { min: 1, max: 65_536 },
      lr: { min: 0, max: 10, real: true, above: true },
      seed: SEED,
      limit: { min: 1, max: 10_000_000 },
      'test-limit': { min: 1, max: 10_000_000 },
      threads: THREADS,
      'checkpoint-every': { min: 1, max: 100_000_000 },
      'weight-decay': { min: 0, max: 1, real: true },
      momentum: { min: 0, max: 1, real: true, with: ['--optimizer', 'sgd'] },
      'clip-norm': { min: 0, max: 1_000_000, real: true, above: true },
      warmup: { min: 0, max: 100_000_000 },
      'label-smoothing': { min: 0, max: 1, real: true },
      patience: { min: 1, max: 10_000, with: ['--val-split', '0.1'] },
      'test-split': { min: 0, max: 0.99, real: true, above: true },
      'val-split': { min: 0, max: 0.99, real: true, above: true },
    },
    predict: { threads: THREADS },
    evaluate: { 'test-limit': { min: 1, max: 10_000_000 }, threads: THREADS },
    explain: {
      samples: { min: 1, max: 100_000, with: ['--method', 'smoothgrad'] },
      sigma: { min: 0, max: 10, real: true, with: ['--method', 'smoothgrad'] },
      steps: { min: 1, max: 10_000, with: ['--method', 'integrated-gradients'] },
      window: { min: 1, max: 4096, with: ['--method', 'occlusion'] },
      stride: { min: 1, max: 4096, with: ['--method', 'occlusion'] },
      patch: { min: 1, max: 4096, with: ['--method', 'lime'] },
      seed: { ...SEED, with: ['--method', 'lime'] },
      class: { min: 0, max: 4095 },
      figures: { min: 0, max: 10_000 },
      threads: THREADS,
    },
    report: {
      'test-limit': { min: 1, max: 10_000_000 },
      'per-class': { min: 1, max: 100 },
      mistakes: { min: 0, max: 10_000 },
      'class-images': { min: 1, max: 100_000 },
      cells: { min: 1, max: 1_000 },
      'per-cell': { min: 1, max: 100 },
      threads: THREADS,
    },
    faithfulness: { n: { min: 1, max: 100_000 }, steps: { min: 1, max: 1_000 }, sanity: { min: 1, max: 100_000 }, seed: SEED, 'figure-rows': { min: 0, max: 50 }, threads: THREADS },
    serve: { port: { min: 0, max: 65_535 } },
    'build-page': { 'train-images': { min: 0, max: 60_000 }, 'test-images': { min: 1, max: 10_000 } },
    export: {},
    gradcheck: {
      classes: { min: 1, max: 4096 },
      batch: { min: 1, max: 64 },
      seed: SEED,
      eps: { min: 0, max: 1, real: true, above: true },
      atol: { min: 0, max: 1, real: true },
      rtol: { min: 0, max: 1, real: true },
    },
  };

  it('every number flag of every command has a documented range here', () => {
    for (const spec of commandSpecs) {
      const numbers = Object.entries(spec.flags).filter(([, flag]) => flag.range !== undefined).map(([name]) => name);
      expect(numbers.sort(), spec.name).toEqual(Object.keys(RANGES[spec.name]).sort());
    }
  });

  it('refuses each flag just outside its range and a word, naming the range, and takes its bounds', async () => {
    for (const [command, flags] of Object.entries(RANGES)) {
      for (const [flag, range] of Object.entries(flags)) {
        const what = range.real ? (range.above && range.min === 0 ? `a positive number up to ${range.max}` : `a number from ${range.min} to ${range.max}`) : `a whole number from ${range.min} to ${range.max}`;
        const step = range.real ? 0.5 : 1;
        const outside = [String(range.max + step), String(range.min - step), 'many'];
        if (range.above) outside.push(String(range.min));
        if (!range.real) outside.push(`${range.min}.5`);
        for (const value of outside) {
          // `--x=-1`: a value starting with '-' is written with '=' (see 'the value of a flag').
          const run = await xcnn(command, ...REACHES_FILES[command].args, ...(range.with ?? []), `--${flag}=${value}`);
          expectOneLineError(run, 2, `--${flag}: '${value}' is not ${what}`);
        }
        const bounds = range.above ? [range.max] : [range.min, range.max];
        for (const value of bounds) await expectFlagsAccepted(command, ...(range.with ?? []), `--${flag}`, String(value));
      }
    }
  });

  it('says each range in the flag\'s help, e.g. "(1 to 10000; default: 20)"', () => {
    for (const spec of commandSpecs) {
      for (const [name, range] of Object.entries(RANGES[spec.name])) {
        const text = flagHelp(spec.flags[name]);
        expect(text, `${spec.name} --${name}`).toContain(range.above ? `(above ${range.min}, up to ${range.max}` : `(${range.min} to ${range.max}`);
      }
    }
    expect(flagHelp(commandSpecs.find((s) => s.name === 'train')!.flags.epochs)).toBe('Passes over the training set (1 to 10000; default: 20).');
  });
});

describe('bounds that need the model or the data (still status 2, before the data is read)', () => {
  const models = join(work, 'models');
  mkdirSync(models, { recursive: true });
  /** A model file of `spec` for `geometry`, with seeded weights. */
  function modelFile(name: string, spec: string, geometry: { channels: number; height: number; width: number; classes: number }): string {
    const network = createNetwork(new ReferenceBackend(), spec, geometry);
    network.initialize(new Random(3));
    const path = join(models, name);
    writeFileSync(path, encodeModel(network, { geometry, dataset: 'generated', classNames: Array.from({ length: geometry.classes }, (_, k) => String(k)) }));
    return path;
  }
  const mnistLike = modelFile('small.safetensors', 'conv(2,3) relu maxpool(2) flatten linear(10)', { channels: 1, height: 28, width: 28, classes: 10 });
  const colour80 = modelFile('colour80.safetensors', 'conv(2,3) gap flatten linear(10)', { channels: 3, height: 80, width: 80, classes: 10 });
  const explain = (...args: string[]) => xcnn('explain', '--backend', 'ts', '--data', absentData, '--index', '0', ...args);

  it('explain: --class below the model\'s classes, --window within its input, at most 4096 patches', async () => {
    expectOneLineError(await explain('--model', mnistLike, '--class', '10'), 2, "--class: '10' is not a whole number from 0 to 9");
    expectOneLineError(await explain('--model', mnistLike, '--method', 'occlusion', '--window', '29'), 2, "--window 29: larger than the model's 28×28 input; give --window 28 or less");
    // 80×80 in 1×1 patches is 6400 > 4096; in 2×2 patches, 40·40 = 1600.
    expectOneLineError(await explain('--model', colour80, '--method', 'lime', '--patch', '1'), 2, '--patch 1: cuts the 80×80 input into 6400 patches, more than the 4096 lime fits; give --patch 2 or more');
    // Within their bounds, the next thing read is the data folder (missing here).
    for (const args of [['--class', '9'], ['--method', 'occlusion', '--window', '28'], ['--method', 'kernel-shap', '--patch', '2']]) {
      expectOneLineError(await explain('--model', args[1] === 'kernel-shap' ? colour80 : mnistLike, ...args), 2, DATA_MISSING);
    }
  });

  /** A data folder of `count` blank training and 4 test images of `size`×`size`. */
  function dataFolder(name: string, count: number, size: number): string {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxBytes([count, size, size], new Uint8Array(count * size * size)));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes([count], Uint8Array.from({ length: count }, (_, k) => k % 10)));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idxBytes([4, size, size], new Uint8Array(4 * size * size)));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idxBytes([4], Uint8Array.of(0, 1, 2, 3)));
    return dir;
  }

  it('faithfulness: --steps at most the pixels of the model\'s input (20 × 30 = 600)', async () => {
    const small = modelFile('tiny.safetensors', 'flatten linear(10)', { channels: 1, height: 20, width: 30, classes: 10 });
    expectOneLineError(await xcnn('faithfulness', '--backend', 'ts', '--data', absentData, '--model', small, '--steps', '601'), 2, "--steps 601: more than the 600 pixels of the model's 20×30 input, and a step moves at least one; give --steps 600 or less");
    expectOneLineError(await xcnn('faithfulness', '--backend', 'ts', '--data', absentData, '--model', small, '--steps', '600'), 2, DATA_MISSING);
  });

  it('train: a batch whose training step would hold more than 4 GiB of activations and gradients', async () => {
    const data = dataFolder('wide-64', 64, 64);
    const arch = 'conv(4096,3,pad=1) gap flatten linear(10)';
    // Per image: the input 64·64 + conv1 4096·64·64 + gap 4096 + flatten 4096 + fc1 10 = 16,789,514 values,
    // ×4 bytes ×2 (each output and its gradient) = 134,316,112 bytes; 4 GiB / that = 31.98, so at most 31.
    // 64 images: 64 · 134,316,112 bytes = 8.006 GiB.
    const refused = await xcnn('train', '--data', data, '--arch', arch, '--batch', '64', '--print-shapes');
    expectOneLineError(refused, 2, '--batch 64: a training step of 64 images of this network takes about 8 GiB of activations and gradients, more than the 4 GiB xcnn allows; give --batch 31 or less');
    const fits = await xcnn('train', '--data', data, '--arch', arch, '--batch', '31', '--print-shapes');
    expect(fits.status, fits.stderr).toBe(0);
    expect(fits.stdout).toMatch(/^conv1 +conv\(4096,3,pad=1\) +\[4096, 64, 64\]/m);
    // The batch is at most the training set: 16 images at --batch 64 is 2 GiB.
    expect((await xcnn('train', '--data', dataFolder('wide-16', 16, 64), '--arch', arch, '--print-shapes')).status).toBe(0);
  });

  it('train: a network of more than 50 million parameters, from --widths each within its own bound', async () => {
    const data = dataFolder('mnist-size', 10, 28); // ten images, labels 0 … 9: ten classes (the class count is the labels', not the folder name's)
    expectOneLineError(await xcnn('train', '--data', data, '--widths', '64,4096,4096', '--print-shapes'), 2, /^error: architecture: 2032452234 parameters, more than the 50000000 xcnn trains or loads; the largest is layer 7 linear\(4096\) \(fc1\)/);
    expectOneLineError(await xcnn('train', '--data', data, '--widths', '8,16,4097'), 2, "--widths: '4097' is not a whole number from 1 to 4096");
  });
});

describe('the value of a flag', () => {
  it('is missing: at the end, or when the next word is another flag', async () => {
    expectOneLineError(await xcnn('train', '--epochs'), 2, 'xcnn train: --epochs needs a value (see xcnn train --help)');
    expectOneLineError(await xcnn('train', '--epochs', '--batch', '8'), 2, 'xcnn train: --epochs needs a value, not the flag --batch (see xcnn train --help)');
  });

  it('starts with a dash: written with =, and then checked like any other', async () => {
    expectOneLineError(await xcnn('train', '--seed', '-1'), 2, "xcnn train: --seed -1: a value that starts with '-' is written --seed=-1 (see xcnn train --help)");
    expectOneLineError(await xcnn('train', '--seed=-1'), 2, "--seed: '-1' is not a whole number from 0 to 4294967295");
  });

  it('is given to a switch', async () => {
    expectOneLineError(await xcnn('evaluate', '--json=yes'), 2, 'xcnn evaluate: --json takes no value; give it alone (see xcnn evaluate --help)');
  });

  it('is a spec, a list or a choice, checked before any file: --arch, --widths, --input, --index, --methods, --method', async () => {
    expectOneLineError(await xcnn('evaluate', '--model', absentModel, '--arch', 'conv(8) relu'), 2, 'architecture spec, layer 1: conv needs its kernel: write conv(OUT,KERNEL[,stride=S][,pad=P])');
    expectOneLineError(await xcnn('train', '--data', absentData, '--widths', '8,16'), 2, /^error: --widths: '8,16' is not three widths/);
    expectOneLineError(await xcnn('evaluate', '--model', absentModel, '--arch', 'paper', '--input', '3x0x8'), 2, "--input: '0' is not a whole number from 1 to 4096");
    expectOneLineError(await xcnn('explain', '--model', absentModel, '--index', '3,,4'), 2, "--index: '3,,4' has an empty item; give indices like 0,7,100-199");
    expectOneLineError(await xcnn('explain', '--model', absentModel, '--index', '9-2'), 2, "--index: the range '9-2' ends before it starts");
    expectOneLineError(await xcnn('faithfulness', '--model', absentModel, '--methods', 'grad-cam,magic'), 2, /^error: --methods: 'magic' is not one of grad-cam, /);
    expectOneLineError(await xcnn('report', '--model', absentModel, '--method', 'magic'), 2, /^error: --method: 'magic' is not one of grad-cam, /);
  });
});

describe('xcnn --version', () => {
  const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string };

  it('prints "xcnn <version>" from package.json, as --version, -V and version', async () => {
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    for (const words of [['--version'], ['-V'], ['version']]) {
      const run = await xcnn(...words);
      expect(run).toEqual({ status: 0, stdout: `xcnn ${version}`, stderr: '' });
    }
    expectOneLineError(await xcnn('--version', 'train'), 2, "xcnn --version: takes nothing after it, got 'train'");
  });

  it('is what the installed command prints', () => {
    const run = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'xcnn.js'), '--version'], { encoding: 'utf8', cwd: work });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe(`xcnn ${version}\n`);
  });
});

describe('help', () => {
  /** The lines that are longer than `width` and more than one word. */
  const overlong = (text: string, width: number) => text.split('\n').filter((line) => line.length > width && line.trim().includes(' '));
  const words = (text: string) => text.split(/\s+/).filter((w) => w !== '');

  it.each([80, 60])('wraps every command\'s help and the program\'s to %i columns, losing no word', (width) => {
    for (const spec of commandSpecs) {
      const help = helpText(spec, width);
      expect(overlong(help, width), spec.name).toEqual([]);
      const options = help.split('\n').slice(help.split('\n').indexOf('options:') + 1);
      // Words in order: each flag with its value's placeholder, then its help.
      const expected = Object.entries(spec.flags).flatMap(([name, flag]) => [`--${name}`, ...(flag.value ? [flag.value] : []), ...words(flagHelp(flag))]);
      expect(words(options.join('\n')), spec.name).toEqual(expected);
      const operands = spec.operands === undefined ? [] : ['arguments:', spec.operands.value, ...words(spec.operands.help)];
      expect(words(help.slice(0, help.indexOf('\noptions:'))), spec.name).toEqual([...words(`usage: ${spec.usage}`), ...words(spec.summary), ...operands]);
    }
    expect(overlong(mainHelp(width), width)).toEqual([]);
  });

  it.each([80, 60])('at %i columns, indents every continuation line of a flag under the description column', (width) => {
    for (const spec of commandSpecs) {
      const lines = helpText(spec, width).split('\n');
      const options = lines.slice(lines.indexOf('options:') + 1);
      const column = /^( +--\S+( \S+)? +)\S/.exec(options.find((line) => /^ +--\S+( \S+)? +\S/.test(line))!)![1].length;
      for (const line of options) {
        if (line.startsWith('  --')) {
          // A flag's line: its help starts in the column, or on the next line when the flag is too long for it.
          const left = /^ {2}--\S+( \S+)?/.exec(line)![0];
          const startsInColumn = line.slice(left.length, column).trim() === '' && line[column] !== ' ';
          expect(line === left || startsInColumn, `${spec.name}: ${line}`).toBe(true);
        } else {
          expect(line, spec.name).toMatch(new RegExp(`^ {${column}}\\S`));
        }
      }
    }
  });

  it('ends each flag\'s help, each command\'s line and each summary with exactly one period', () => {
    for (const spec of commandSpecs) {
      for (const [name, flag] of Object.entries(spec.flags)) {
        const text = flagHelp(flag);
        expect(text, `${spec.name} --${name}`).toMatch(/[^.]\.$/);
        expect(text, `${spec.name} --${name}: one parenthesis of notes`).not.toMatch(/\) \(/);
      }
      expect(spec.brief, spec.name).toMatch(/[^.]\.$/);
      expect(spec.summary, spec.name).toMatch(/[^.]\.$/);
    }
  });

  it('wraps to the terminal when stdout is one, and to 80 columns otherwise', async () => {
    const { terminalWidth } = await import('../src/cli/args.js');
    const stdout = process.stdout as { isTTY?: boolean; columns?: number };
    const saved = { isTTY: stdout.isTTY, columns: stdout.columns };
    try {
      Object.assign(stdout, { isTTY: true, columns: 123 });
      expect(terminalWidth()).toBe(123);
      Object.assign(stdout, { isTTY: false, columns: 123 });
      expect(terminalWidth()).toBe(80);
    } finally {
      Object.assign(stdout, saved);
    }
  });

  it('is printed by --help, also after other flags, with exit status 0', async () => {
    const run = await xcnn('train', '--epochs', '3', '--help');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(helpText(commandSpecs.find((s) => s.name === 'train')!));
  });
});
