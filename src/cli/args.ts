/**
 * Command-line flags: node's own `util.parseArgs` (no framework) under one declarative table per command.
 * `parseFlags` reads a command line into one validated object before the command does any work, so every
 * bad flag is refused here, in one line naming the flag, with exit status 2, before a file is opened:
 *
 *   1. an unknown flag (with the nearest known one, "did you mean --epochs?"), a missing value, a stray word;
 *   2. a flag that takes a value given twice (parseArgs would keep the last one silently; a repeated
 *      boolean such as `--json --json` says the same thing twice and is accepted);
 *   3. each value given: a choice from its list, a number within its range (numbers become numbers), or
 *      the flag's own check (a list, a spec);
 *   4. each flag given that does not apply alongside the others (`appliesWhen`: `--steps` for a method
 *      that does not read it, `--index` with `--image`, a training flag with `--resume`).
 *
 * Checks that need a file's contents (an index beyond the test set, a class beyond the model's) stay
 * with the command, and are usage errors (status 2) too.
 */
import { parseArgs } from 'node:util';
import { usageError } from '../errors.js';

/** The range of a number flag; `whole` numbers are written as integers, `aboveMin` excludes `min` itself. */
export interface NumberRange {
  min: number;
  max: number;
  whole: boolean;
  aboveMin?: boolean;
}

/** A whole number from min to max. */
export function wholeRange(min: number, max: number): NumberRange {
  return { min, max, whole: true };
}

/** A number from min (or above it, `aboveMin`) to max. */
export function realRange(min: number, max: number, aboveMin = false): NumberRange {
  return { min, max, whole: false, aboveMin };
}

/**
 * When a flag means something, given the other flags' values (defaults filled in): `applies`, or else the
 * one-line `refusal`, which says what to do (usually "leave --x out").
 */
export interface FlagRule {
  applies: (values: FlagValues) => boolean;
  refusal: (flag: string, values: FlagValues) => string;
}

export interface FlagSpec {
  type: 'string' | 'boolean';
  value?: string; // the placeholder shown in help, e.g. 'N'
  /** One sentence ending in one period; the range and the default are added before the period. */
  help: string;
  default?: string;
  /** The default said in words, for a default that is not a fixed value (the cores here; one per method). */
  defaultNote?: string;
  /** The values it takes (help shows them in `value`). */
  choices?: readonly string[];
  /** A number flag's range: its value is checked and becomes a number. */
  range?: NumberRange;
  /** The value's own check, for a list or a spec: throws a usage error naming the flag. */
  check?: (text: string) => unknown;
  /** When it applies; a given flag whose rule does not hold is refused. */
  appliesWhen?: FlagRule[];
}

export type Flags = Record<string, FlagSpec>;

export interface CommandSpec {
  name: string;
  /** One short sentence, the command's line in `xcnn --help`. */
  brief: string;
  /** What the command does, in sentences (each ending in a period), at the head of its help. */
  summary: string;
  usage: string;
  flags: Flags;
  /** The words after the flags a command takes (`xcnn predict … PATH…`), named in help; without it a stray word is refused. */
  operands?: { value: string; help: string };
}

/** Parsed flag values (defaults filled in); `values[GIVEN]` lists the flags the user actually gave. */
export const GIVEN = Symbol('given flags');
/** The operands (words that are not flags) of a command that takes them, in order. */
export const OPERANDS = Symbol('operands');
export type FlagValues = Record<string, string | number | boolean | undefined> & { [GIVEN]?: Set<string>; [OPERANDS]?: string[] };

/** Whether the user gave `name` (a default does not count). */
export function given(values: FlagValues, name: string): boolean {
  return values[GIVEN]?.has(name) ?? false;
}

/** The flag means something only when `other` is given: `why` says what it does there. */
export function onlyWith(other: string, why: string): FlagRule {
  return {
    applies: (values) => given(values, other),
    refusal: (flag) => `--${flag} applies only with --${other} (${why}); leave --${flag} out, or give --${other}`,
  };
}

/** The flag and `other` cannot both be given: `conflict` says why, and `hint` may add what each is for. */
export function notWith(other: string, conflict: string, hint = ''): FlagRule {
  return {
    applies: (values) => !given(values, other),
    refusal: (flag) => `--${flag} and --${other} ${conflict}: give one${hint ? ` ${hint}` : ''}`,
  };
}

/**
 * Reads `argv` (the words after the command's name) against the command's flag table, or throws the one
 * usage error the user should see first (see the header for the order of the checks).
 */
export function parseFlags(spec: CommandSpec, argv: string[]): FlagValues {
  const see = `(see xcnn ${spec.name} --help)`;
  const options = Object.fromEntries(Object.entries(spec.flags).map(([name, flag]) => [name, { type: flag.type }]));
  refuseUnknownFlags(spec, argv, options);
  let parsed: ReturnType<typeof parseStrictly>;
  try {
    parsed = parseStrictly(argv, options);
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (!code.startsWith('ERR_PARSE_ARGS')) throw error;
    const message = (error as Error).message.split('\n')[0];
    const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag !== undefined) {
      if (message.includes('does not take an argument')) throw usageError(`xcnn ${spec.name}: ${flag} takes no value; give it alone ${see}`);
      // 'ambiguous': the word after the flag starts with '-', so it may be a value (-1) or a forgotten value's next flag.
      const next = message.includes('ambiguous') ? argv[argv.indexOf(flag) + 1] : undefined;
      if (next !== undefined && !/^--?[a-z]/i.test(next)) throw usageError(`xcnn ${spec.name}: ${flag} ${next}: a value that starts with '-' is written ${flag}=${next} ${see}`);
      throw usageError(`xcnn ${spec.name}: ${flag} needs a value${next === undefined ? '' : `, not the flag ${next}`} ${see}`);
    }
    throw usageError(`xcnn ${spec.name}: ${message.replace(/\. To specify a positional.*$/, '')} ${see}`);
  }
  const { values, positionals, tokens } = parsed;
  if (positionals.length > 0 && spec.operands === undefined) throw usageError(`xcnn ${spec.name}: unexpected argument '${positionals[0]}' ${see}`);
  refuseRepeats(spec, tokens);

  const given = new Set(Object.keys(values));
  const result: FlagValues = { [GIVEN]: given, ...(spec.operands === undefined ? {} : { [OPERANDS]: positionals }) };
  for (const [name, flag] of Object.entries(spec.flags)) {
    const value = values[name] ?? flag.default;
    result[name] = typeof value === 'string' ? checkedValue(name, flag, value) : value;
  }
  for (const [name, flag] of Object.entries(spec.flags)) {
    if (!given.has(name)) continue;
    const broken = flag.appliesWhen?.find((rule) => !rule.applies(result));
    if (broken) throw usageError(broken.refusal(name, result));
  }
  return result;
}

function parseStrictly(argv: string[], options: Record<string, { type: 'string' | 'boolean' }>) {
  return parseArgs({ args: argv, options, strict: true, allowPositionals: true, tokens: true });
}

/** An unknown flag, named with the nearest known one when there is one close enough. */
function refuseUnknownFlags(spec: CommandSpec, argv: string[], options: Record<string, { type: 'string' | 'boolean' }>): void {
  // Non-strict parsing only lists the tokens (a known flag's value, even '-1', is its value); every other problem is the strict pass's to report.
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name in spec.flags) continue;
    const nearest = nearestName(token.name, Object.keys(spec.flags));
    const hint = nearest === undefined ? '' : `; did you mean --${nearest}?`;
    throw usageError(`xcnn ${spec.name}: unknown option '${token.rawName}'${hint} (see xcnn ${spec.name} --help)`);
  }
}

/** A flag that takes a value, given twice: which one was meant cannot be known. */
function refuseRepeats(spec: CommandSpec, tokens: ReturnType<typeof parseStrictly>['tokens']): void {
  const seen = new Map<string, string>();
  for (const token of tokens) {
    if (token.kind !== 'option' || spec.flags[token.name]?.type !== 'string') continue;
    const value = token.value ?? '';
    const first = seen.get(token.name);
    if (first !== undefined) throw usageError(`xcnn ${spec.name}: --${token.name} given twice ('${first}' and '${value}'); give it once`);
    seen.set(token.name, value);
  }
}

/** A flag's text checked against its table entry: a choice, a number in range (returned as a number), or its own check. */
function checkedValue(name: string, flag: FlagSpec, text: string): string | number {
  if (flag.choices) return choiceFlag(name, text, flag.choices);
  if (flag.check) flag.check(text);
  if (flag.range) return numberFlag(name, text, flag.range);
  return text;
}

/** A number from a flag's text, within `range`; the error gives the range. */
export function numberFlag(name: string, text: string, range: NumberRange): number {
  const value = Number(text);
  const inRange = range.aboveMin ? value > range.min : value >= range.min;
  const wellFormed = range.whole ? /^[+-]?\d+$/.test(text.trim()) && Number.isSafeInteger(value) : text.trim() !== '' && Number.isFinite(value);
  if (!wellFormed || !inRange || value > range.max) throw usageError(`--${name}: '${text}' is not ${describeRange(range)}`);
  return value;
}

/** 'a whole number from 1 to 10000', 'a positive number up to 10', 'a number from 0 to 10'. */
function describeRange(range: NumberRange): string {
  if (range.whole) return `a whole number from ${range.min} to ${range.max}`;
  if (range.aboveMin && range.min === 0) return `a positive number up to ${range.max}`;
  return `a number ${range.aboveMin ? 'above' : 'from'} ${range.min} ${range.aboveMin ? 'up ' : ''}to ${range.max}`;
}

/** A whole number within [min, max] from a flag's text (for values whose range is known only later). */
export function intFlag(name: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  return numberFlag(name, text, wholeRange(min, max));
}

export function choiceFlag<T extends string>(name: string, text: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) throw usageError(`--${name}: '${text}' is not one of ${choices.join(', ')}`);
  return text as T;
}

/** A number flag's value, as `parseFlags` checked it (undefined when not given and without default). */
export function numberValue(values: FlagValues, name: string): number | undefined {
  const value = values[name];
  if (value !== undefined && typeof value !== 'number') throw new Error(`--${name} is not a number flag (a bug in its command's flag table)`);
  return value;
}

// ---- Did you mean? ----

/**
 * The edit distance between two words counting a swap of neighbours as one edit (optimal string
 * alignment): 'trian' is 1 from 'train', 'epoch' 1 from 'epochs'.
 */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The name `typed` most likely meant: the closest within 2 edits (and fewer edits than `typed` has
 * letters, so that '-x' suggests nothing), else the one it begins (from 3 letters on); the first in
 * `names`' order on a tie. Undefined when none is close.
 */
export function nearestName(typed: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of names) {
    const distance = editDistance(typed.toLowerCase(), name);
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  if (best !== undefined && bestDistance <= 2 && bestDistance < typed.length) return best;
  return typed.length >= 3 ? names.find((name) => name.startsWith(typed.toLowerCase())) : undefined;
}

// ---- Help ----

/** The width help is wrapped to: the terminal's when stdout is one, else 80. */
export function terminalWidth(): number {
  return process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : 80;
}

/** A flag's help as shown: its sentence with its range and default before the period. */
export function flagHelp(flag: FlagSpec): string {
  const fallback = flag.default ?? flag.defaultNote;
  const notes = [flag.range ? rangeNote(flag.range) : '', fallback !== undefined ? `default: ${fallback}` : ''].filter((note) => note !== '');
  if (notes.length === 0) return flag.help;
  return `${flag.help.replace(/\.$/, '')} (${notes.join('; ')}).`;
}

/** '1 to 10000', 'above 0, up to 10': the short form help gives. */
function rangeNote(range: NumberRange): string {
  return range.aboveMin ? `above ${range.min}, up to ${range.max}` : `${range.min} to ${range.max}`;
}

/**
 * `words` filled into lines of at most `width` characters, the first starting after `first` (a label
 * already on the line, of the indent's length or shorter) and the others indented by `indent`. A word
 * longer than a line gets a line of its own.
 */
export function wrapText(text: string | string[], width: number, indent: number, first = ''): string[] {
  const words = typeof text === 'string' ? text.split(/\s+/).filter((w) => w !== '') : text;
  const lines: string[] = [];
  let line = first.padEnd(indent);
  let empty = true;
  for (const word of words) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = ' '.repeat(indent);
      empty = true;
    }
    line += (empty ? '' : ' ') + word;
    empty = false;
  }
  lines.push(line);
  return lines;
}

/**
 * A usage line's words, each bracketed group (`[--epochs 20]`, `(--index N | --image FILE)`) kept whole
 * so that a line never breaks inside one, unless the group is longer than `room`.
 */
export function usageGroups(usage: string, room: number): string[] {
  const groups: string[] = [];
  let depth = 0;
  let current = '';
  for (const word of usage.split(/\s+/).filter((w) => w !== '')) {
    current = current === '' ? word : `${current} ${word}`;
    for (const char of word) depth += char === '[' || char === '(' ? 1 : char === ']' || char === ')' ? -1 : 0;
    if (depth <= 0) {
      groups.push(...(current.length > room ? current.split(' ') : [current]));
      current = '';
      depth = 0;
    }
  }
  if (current !== '') groups.push(...current.split(' '));
  return groups;
}

/**
 * A command's help, wrapped to `width`: usage, summary, then a line per flag with its help in a column
 * (a flag too long for the column has its help start on the next line, in the column).
 */
export function helpText(spec: CommandSpec, width = terminalWidth()): string {
  const lefts = Object.entries(spec.flags).map(([name, flag]) => `  --${name}${flag.value ? ` ${flag.value}` : ''}`);
  const column = Math.min(Math.max(...lefts.map((left) => left.length)) + 2, Math.max(16, Math.floor(width * 0.4)));
  const rows = Object.values(spec.flags).flatMap((flag, k) => {
    const fits = lefts[k].length + 2 <= column;
    return fits ? wrapText(flagHelp(flag), width, column, lefts[k]) : [lefts[k], ...wrapText(flagHelp(flag), width, column)];
  });
  const operands = spec.operands === undefined ? [] : ['arguments:', ...wrapText(spec.operands.help, width, column, `  ${spec.operands.value}`), ''];
  return [...wrapText(usageGroups(spec.usage, width - 7), width, 7, 'usage:'), '', ...wrapText(spec.summary, width, 0), '', ...operands, 'options:', ...rows].join('\n');
}
