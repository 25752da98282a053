/**
 * The command line's parsing pieces, one by one, on a flag table made for the test: the edit distance behind
 * "did you mean", the nearest name, a number flag's checks and the words of its range, and parseFlags' answer
 * to each problem Node's parser reports (a value given to a switch, a value missing, a value that starts with '-').
 * Every expected value is worked out by hand here or by a second implementation in the test.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { editDistance, given, GIVEN, nearestName, numberFlag, numberValue, OPERANDS, parseFlags, realRange, wholeRange, type CommandSpec } from '../src/cli/args.js';
import { FLAG_OF_OPTION, inFlagWording } from '../src/cli/flag-wording.js';
import { XcnnError } from '../src/errors.js';
import { errorOf } from './errors.js';

/** Optimal string alignment distance, written as the recursion of its definition (memoised): the second implementation. */
function osaDistance(a: string, b: string): number {
  const memo = new Map<string, number>();
  const d = (i: number, j: number): number => {
    if (i === 0) return j;
    if (j === 0) return i;
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let best = Math.min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
    if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d(i - 2, j - 2) + 1);
    memo.set(key, best);
    return best;
  };
  return d(a.length, b.length);
}

describe('editDistance', () => {
  it('counts inserts, deletes, changes and a swap of neighbours as one edit each (worked by hand)', () => {
    expect(editDistance('', '')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('train', 'train')).toBe(0);
    expect(editDistance('trian', 'train')).toBe(1); // one swap
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('epoch', 'epochs')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('ca', 'abc')).toBe(3); // optimal string alignment: a swapped pair is not edited again
    expect(editDistance('abcd', 'badc')).toBe(2); // two swaps
  });

  it('is the recursion of its definition on any two short words', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 6 });
    fc.assert(fc.property(word, word, (a, b) => editDistance(a, b) === osaDistance(a, b)), { numRuns: 400 });
  });
});

describe('nearestName', () => {
  const flags = ['epochs', 'batch', 'lr', 'seed', 'limit'];

  it('takes the closest name within 2 edits, in any case', () => {
    expect(nearestName('epoch', flags)).toBe('epochs');
    expect(nearestName('BATHC', flags)).toBe('batch');
    expect(nearestName('sed', flags)).toBe('seed');
  });

  it('takes the first of equally close names', () => {
    expect(nearestName('abx', ['abc', 'abd'])).toBe('abc');
    expect(nearestName('abx', ['abd', 'abc'])).toBe('abd');
  });

  it('suggests nothing when the distance is not below the typed length (a 1-letter flag), nor beyond 2 edits', () => {
    expect(nearestName('x', ['y'])).toBeUndefined(); // 1 edit, but 1 letter
    expect(nearestName('lx', ['lr'])).toBe('lr'); // 1 edit, 2 letters
    expect(nearestName('zzzz', flags)).toBeUndefined();
  });

  it('else takes the name the typed word begins, from 3 letters on', () => {
    expect(nearestName('epo', flags)).toBe('epochs'); // 3 edits away, but its beginning
    expect(nearestName('LIM', flags)).toBe('lr'); // 2 edits from both lr and limit: the first in the list
    expect(nearestName('ep', ['epochs'])).toBeUndefined(); // 4 edits, and only 2 letters
  });
});

describe('numberFlag', () => {
  const whole = wholeRange(1, 100);
  const refusal = (name: string, text: string, range = whole) => errorOf(() => numberFlag(name, text, range), 'ERR_BAD_ARGUMENT').message;

  it('takes a whole number written in decimal digits, with a sign or surrounding spaces', () => {
    expect(numberFlag('epochs', '5', whole)).toBe(5);
    expect(numberFlag('epochs', '+5', whole)).toBe(5);
    expect(numberFlag('epochs', ' 5 ', whole)).toBe(5);
    expect(numberFlag('epochs', '100', whole)).toBe(100);
  });

  it('refuses what Number() would read as a whole number but is not written as one', () => {
    for (const text of ['0x10', '1e1', '5.0', '5x', '', ' ', 'Infinity']) {
      expect(refusal('epochs', text)).toBe(`--epochs: '${text}' is not a whole number from 1 to 100`);
    }
    expect(refusal('seed', '9007199254740993', wholeRange(0, Number.MAX_VALUE))).toMatch(/^--seed: '9007199254740993' is not a whole number/);
  });

  it('refuses a blank or non-finite real number, and says the range in its words', () => {
    const from0 = realRange(0, 10);
    expect(numberFlag('lr', '0', from0)).toBe(0);
    expect(numberFlag('lr', '1e-3', from0)).toBe(0.001);
    expect(refusal('lr', '', from0)).toBe("--lr: '' is not a number from 0 to 10");
    expect(refusal('lr', '  ', from0)).toBe("--lr: '  ' is not a number from 0 to 10");
    expect(refusal('lr', 'NaN', from0)).toBe("--lr: 'NaN' is not a number from 0 to 10");
    expect(refusal('lr', '0', realRange(0, 10, true))).toBe("--lr: '0' is not a positive number up to 10");
    expect(refusal('x', '0.5', realRange(0.5, 2, true))).toBe("--x: '0.5' is not a number above 0.5 up to 2");
    expect(numberFlag('x', '0.6', realRange(0.5, 2, true))).toBe(0.6);
    expect(refusal('x', '3', realRange(0.5, 2))).toBe("--x: '3' is not a number from 0.5 to 2");
  });

  it('numberValue refuses a flag that parseFlags left as text (a bug in a flag table)', () => {
    expect(numberValue({ n: 3 }, 'n')).toBe(3);
    expect(numberValue({}, 'n')).toBeUndefined();
    expect(() => numberValue({ n: '3' }, 'n')).toThrow('--n is not a number flag (a bug in its command\'s flag table)');
  });
});

describe("parseFlags' answer to what Node's parser refuses", () => {
  const spec: CommandSpec = {
    name: 'demo',
    brief: 'A command for the test.',
    summary: 'A command for the test.',
    usage: 'xcnn demo [--count N] [--quiet]',
    flags: {
      count: { type: 'string', value: 'N', help: 'A count.', range: wholeRange(-5, 5) },
      quiet: { type: 'boolean', help: 'A switch.' },
    },
  };
  const see = '(see xcnn demo --help)';
  const refusal = (...argv: string[]) => errorOf(() => parseFlags(spec, argv), 'ERR_BAD_ARGUMENT').message;

  it('a value given to a switch', () => {
    expect(refusal('--quiet=yes')).toBe(`xcnn demo: --quiet takes no value; give it alone ${see}`);
  });

  it('a value missing at the end, or a flag where the value should be', () => {
    expect(refusal('--count')).toBe(`xcnn demo: --count needs a value ${see}`);
    expect(refusal('--count', '--quiet')).toBe(`xcnn demo: --count needs a value, not the flag --quiet ${see}`);
    expect(refusal('--count', '-q')).toBe(`xcnn demo: --count needs a value, not the flag -q ${see}`);
  });

  it("a value that starts with '-' is written with '='", () => {
    expect(refusal('--count', '-1')).toBe(`xcnn demo: --count -1: a value that starts with '-' is written --count=-1 ${see}`);
    expect(parseFlags(spec, ['--count=-1']).count).toBe(-1);
  });

  it('a word after the flags of a command that takes none', () => {
    expect(refusal('--quiet', 'extra')).toBe(`xcnn demo: unexpected argument 'extra' ${see}`);
  });

  it('keeps the flags given apart from the defaults, a switch given twice, and the operands of a command that takes them', () => {
    const values = parseFlags(spec, ['--quiet', '--quiet']); // a switch twice says the same thing twice: not refused
    expect(values.quiet).toBe(true);
    expect([...values[GIVEN]!]).toEqual(['quiet']);
    expect(given(values, 'quiet')).toBe(true);
    expect(given(values, 'count')).toBe(false);
    expect(given({}, 'quiet')).toBe(false); // values not made by parseFlags: nothing was given
    expect(OPERANDS in values).toBe(false);
    expect(refusal('--count', '1', '--count', '2')).toBe("xcnn demo: --count given twice ('1' and '2'); give it once");
    const withOperands: CommandSpec = { ...spec, operands: { value: 'PATH…', help: 'Files.' } };
    expect(parseFlags(withOperands, ['a.png', '--quiet', 'b.png'])[OPERANDS]).toEqual(['a.png', 'b.png']);
    expect(parseFlags(withOperands, [])[OPERANDS]).toEqual([]);
  });
});

describe('inFlagWording', () => {
  it('spells each option the library names as the flag that sets it, as a whole word only', () => {
    expect(FLAG_OF_OPTION).toEqual({ arch: 'arch', input: 'input', layer: 'layer', method: 'method', threads: 'threads', learningRate: 'lr' });
    const said = (message: string, option?: string) => inFlagWording(new XcnnError(message, { code: 'ERR_BAD_ARGUMENT', option }));
    expect(said('learningRate 5 is not a number from 0 to 1', 'learningRate')).toBe('--lr 5 is not a number from 0 to 1');
    expect(said('threads 2 needs the wasm backend (threads: 1 here)', 'threads')).toBe('--threads 2 needs the wasm backend (--threads: 1 here)');
    expect(said("layer: 'relu9' is not a conv block", 'layer')).toBe("--layer: 'relu9' is not a conv block");
    expect(said('the arch, input and method: input', 'input')).toBe('the arch, --input and method: --input');
    expect(said('a/layer/path and relayer stay', 'layer')).toBe('a/layer/path and relayer stay');
    expect(said('layer as given', undefined)).toBe('layer as given'); // no option: as it is
    expect(said('seed 3 is refused', 'seed')).toBe('seed 3 is refused'); // an option with no flag: as it is
  });
});
