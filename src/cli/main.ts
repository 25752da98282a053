/**
 * The `xcnn` command line: a command name, then its flags. Errors a user can fix (XcnnError) print as
 * one line and exit with their status (2: usage, 1: bad data); anything else is a bug and prints its
 * stack. `--debug` prints the stack of any error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { enableRelaxedSimd } from '../backend/wasm/node.js';
import { XcnnError, usageError } from '../errors.js';
import { packageRoot } from '../files/package-root.js';
import { inFlagWording } from './flag-wording.js';
import { helpText, nearestName, parseFlags, terminalWidth, wrapText, type CommandSpec, type FlagValues } from './args.js';
import { evaluateCommand, evaluateSpec } from './evaluate-command.js';
import { explainCommand, explainSpec } from './explain-command.js';
import { exportCommand, exportSpec } from './export-command.js';
import { faithfulnessCommand, faithfulnessSpec } from './faithfulness-command.js';
import { predictCommand, predictSpec } from './predict-command.js';
import { gradcheckCommand, gradcheckSpec } from './gradcheck-command.js';
import { reportCommand, reportSpec } from './report-command.js';
import { serveCommand, serveSpec } from './serve-command.js';
import { buildPageCommand, buildPageSpec } from './build-page-command.js';
import { trainCommand, trainSpec } from './train-command.js';

/** A command's run function resolves to its exit status (0 when it returns nothing). */
const commands: Array<{ spec: CommandSpec; run: (values: FlagValues) => Promise<number | void> }> = [
  { spec: trainSpec, run: trainCommand },
  { spec: evaluateSpec, run: evaluateCommand },
  { spec: explainSpec, run: explainCommand },
  { spec: predictSpec, run: predictCommand },
  { spec: reportSpec, run: reportCommand },
  { spec: faithfulnessSpec, run: faithfulnessCommand },
  { spec: serveSpec, run: serveCommand },
  { spec: buildPageSpec, run: buildPageCommand },
  { spec: exportSpec, run: exportCommand },
  { spec: gradcheckSpec, run: gradcheckCommand },
];

/** `xcnn version` (also --version, -V) is no command of the table: it takes no flags. */
export const VERSION_BRIEF = 'Prints the version of xcnn.';

/** The program's help, wrapped to `width`: a line per command, its brief. */
export function mainHelp(width = terminalWidth()): string {
  return [
    'usage: xcnn <command> [options]',
    '',
    ...wrapText('Explainable handwritten-digit classification: a small CNN trained, evaluated and explained on the CPU.', width, 0),
    '',
    'commands:',
    ...commands.flatMap(({ spec }) => wrapText(spec.brief, width, 16, `  ${spec.name}`)),
    ...wrapText(VERSION_BRIEF, width, 16, '  version'),
    '',
    ...wrapText('Run `xcnn <command> --help` for its options; `xcnn --version` prints the version.', width, 0),
  ].join('\n');
}

/** The command specs, for tests that check every command's help. */
export const commandSpecs: CommandSpec[] = commands.map((command) => command.spec);

/** 'xcnn 0.1.0', from the package's package.json. */
export function versionText(): string {
  const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return `xcnn ${version}`;
}

/** An unknown command, with the nearest one when there is one close enough ('trian' → train), else the list. */
function unknownCommand(name: string): XcnnError {
  const names = commands.map((c) => c.spec.name);
  const what = name.startsWith('-') ? `xcnn: '${name}' is not a command; the command comes first, e.g. xcnn train ${name}` : `xcnn: unknown command '${name}'`;
  const nearest = name.startsWith('-') ? undefined : nearestName(name, [...names, 'version', 'help']);
  return usageError(nearest === undefined ? `${what}; commands: ${names.join(', ')} (see xcnn --help)` : `${what}; did you mean ${nearest}? (see xcnn --help)`);
}

export async function main(argv: string[]): Promise<number> {
  enableRelaxedSimd(); // the command owns its process: the relaxed-SIMD kernels where V8 has them behind a flag (src/backend/wasm/node.ts)
  const debug = argv.includes('--debug');
  const args = argv.filter((a) => a !== '--debug');
  try {
    const [name, ...rest] = args;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      console.log(mainHelp());
      return 0;
    }
    if (name === '--version' || name === '-V' || name === 'version') {
      if (rest.length > 0) throw usageError(`xcnn ${name}: takes nothing after it, got '${rest[0]}'`);
      console.log(versionText());
      return 0;
    }
    const command = commands.find((c) => c.spec.name === name);
    if (!command) throw unknownCommand(name);
    if (rest.includes('--help') || rest.includes('-h')) {
      console.log(helpText(command.spec));
      return 0;
    }
    return (await command.run(parseFlags(command.spec, rest))) ?? 0;
  } catch (error) {
    if (error instanceof XcnnError) {
      console.error(`error: ${inFlagWording(error)}`);
      if (debug) console.error(error.stack);
      return error.exitCode;
    }
    console.error(debug ? error : `internal error (a bug in xcnn; run again with --debug for the stack): ${(error as Error)?.message ?? error}`);
    if (!debug) console.error((error as Error)?.stack);
    return 70;
  }
}
