/**
 * Command-line flags: node's own `util.parseArgs` (no framework), with its errors and every value check
 * turned into one-line usage errors (exit status 2) that name the flag.
 */
import { parseArgs } from 'node:util';
import { usageError } from '../errors.js';

export interface FlagSpec {
  type: 'string' | 'boolean';
  value?: string; // the placeholder shown in help, e.g. 'N'
  help: string;
  default?: string;
}

export type Flags = Record<string, FlagSpec>;

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  flags: Flags;
}

/** Parsed flag values (defaults filled in); `values[GIVEN]` lists the flags the user actually gave. */
export const GIVEN = Symbol('given flags');
export type FlagValues = Record<string, string | boolean | undefined> & { [GIVEN]?: Set<string> };

export function parseFlags(spec: CommandSpec, argv: string[]): FlagValues {
  const options = Object.fromEntries(Object.entries(spec.flags).map(([name, flag]) => [name, { type: flag.type }]));
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    if (positionals.length > 0) throw usageError(`xcnn ${spec.name}: unexpected argument '${positionals[0]}' (see xcnn ${spec.name} --help)`);
    const given = new Set(Object.keys(values));
    for (const [name, flag] of Object.entries(spec.flags)) {
      if (values[name] === undefined && flag.default !== undefined) values[name] = flag.default;
    }
    return Object.assign(values as FlagValues, { [GIVEN]: given });
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      const message = (error as Error).message.split('\n')[0].replace(/\. To specify a positional.*$/, '');
      throw usageError(`xcnn ${spec.name}: ${message} (see xcnn ${spec.name} --help)`);
    }
    throw error;
  }
}

export function helpText(spec: CommandSpec): string {
  const lefts = Object.entries(spec.flags).map(([name, flag]) => `  --${name}${flag.value ? ` ${flag.value}` : ''}`);
  const width = Math.max(...lefts.map((left) => left.length)) + 2;
  const rows = Object.values(spec.flags).map((flag, k) => {
    const right = flag.help + (flag.default !== undefined ? ` (default: ${flag.default})` : '');
    return `${lefts[k].padEnd(width)}${right}`;
  });
  return [`usage: ${spec.usage}`, '', spec.summary, '', 'options:', ...rows].join('\n');
}

/** A whole number within [min, max] from a flag's text. */
export function intFlag(name: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!/^[+-]?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw usageError(`--${name}: '${text}' is not a whole number ${range}`);
  }
  return value;
}

/** A finite number within (exclusiveMin, max] from a flag's text. */
export function positiveFlag(name: string, text: string, max = Infinity): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw usageError(`--${name}: '${text}' is not a positive number${Number.isFinite(max) ? ` up to ${max}` : ''}`);
  }
  return value;
}

export function choiceFlag<T extends string>(name: string, text: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) throw usageError(`--${name}: '${text}' is not one of ${choices.join(', ')}`);
  return text as T;
}
