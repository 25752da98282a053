/**
 * The `xcnn` command line: a command name, then its flags. Errors a user can fix (XcnnError) print as
 * one line and exit with their status (2: usage, 1: bad data); anything else is a bug and prints its
 * stack. `--debug` prints the stack of any error.
 */
import { XcnnError, usageError } from '../errors.js';
import { helpText, parseFlags, type CommandSpec, type FlagValues } from './args.js';
import { evaluateCommand, evaluateSpec } from './evaluate-command.js';
import { explainCommand, explainSpec } from './explain-command.js';
import { faithfulnessCommand, faithfulnessSpec } from './faithfulness-command.js';
import { reportCommand, reportSpec } from './report-command.js';
import { serveCommand, serveSpec } from './serve-command.js';
import { trainCommand, trainSpec } from './train-command.js';

/** A command's run function resolves to its exit status (0 when it returns nothing). */
const commands: Array<{ spec: CommandSpec; run: (values: FlagValues) => Promise<number | void> }> = [
  { spec: trainSpec, run: trainCommand },
  { spec: evaluateSpec, run: evaluateCommand },
  { spec: explainSpec, run: explainCommand },
  { spec: reportSpec, run: reportCommand },
  { spec: faithfulnessSpec, run: faithfulnessCommand },
  { spec: serveSpec, run: serveCommand },
];

function mainHelp(): string {
  return [
    'usage: xcnn <command> [options]',
    '',
    'Explainable handwritten-digit classification: a small CNN trained, evaluated and explained on the CPU.',
    '',
    'commands:',
    ...commands.map(({ spec }) => `  ${spec.name.padEnd(14)}${spec.summary.split('. ')[0]}.`),
    '',
    'Run `xcnn <command> --help` for its options.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  const args = argv.filter((a) => a !== '--debug');
  try {
    const [name, ...rest] = args;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      console.log(mainHelp());
      return 0;
    }
    const command = commands.find((c) => c.spec.name === name);
    if (!command) throw usageError(`xcnn: unknown command '${name}'; commands: ${commands.map((c) => c.spec.name).join(', ')} (see xcnn --help)`);
    if (rest.includes('--help') || rest.includes('-h')) {
      console.log(helpText(command.spec));
      return 0;
    }
    return (await command.run(parseFlags(command.spec, rest))) ?? 0;
  } catch (error) {
    if (error instanceof XcnnError) {
      console.error(`error: ${error.message}`);
      if (debug) console.error(error.stack);
      return error.exitCode;
    }
    console.error(debug ? error : `internal error (a bug in xcnn; run again with --debug for the stack): ${(error as Error)?.message ?? error}`);
    if (!debug) console.error((error as Error)?.stack);
    return 70;
  }
}
