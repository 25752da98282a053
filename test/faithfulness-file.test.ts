/**
 * Every check of a faithfulness.json read for the report (src/report/faithfulness-file.ts), one field at a
 * time: each field the report shows, left out or of the wrong kind, is refused with its own message word for
 * word; every limit is accepted at its value and refused one past it; a valid file and its figure are read.
 */
import { mkdirSync, mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { XcnnError } from '../src/errors.js';
import { checkFaithfulnessJson, MAX_FAITHFULNESS_BYTES, MAX_IMAGES, MAX_METHODS, MAX_NAME_LENGTH, readFaithfulnessFile } from '../src/report/faithfulness-file.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A faithfulness.json as xcnn faithfulness writes it: one method, 3 images. */
function valid(): Json {
  return {
    model: 'm.safetensors',
    dataset: 'mnist',
    images: 3,
    indices: [0, 5, 9],
    settings: { steps: 28, seed: 1, road: { sigma: 0.01, tolerance: 1e-6 }, pointing: { tolerance: 1, inkThreshold: 0.5 }, randomisationImages: 3, flagThreshold: 0.5 },
    random: { deletion: { zero: 0.6, road: 0.7 }, insertion: { zero: 0.5, road: 0.4 } },
    methods: [{
      method: 'grad-cam',
      title: 'Grad-CAM',
      deletion: { zero: 0.2, road: 0.3 },
      insertion: { zero: 0.8, road: 0.7 },
      vsRandom: 0.25,
      randomisation: { spearman: 0.1, ssim: 0.05, flagged: false, stages: [] },
      pointingGame: { hits: 2, misses: 1, flat: 0, hitRate: 2 / 3 },
      msPerImage: 1.5,
      ranks: { deletionZero: 1, deletionRoad: 1, insertionZero: 1, insertionRoad: 1, randomisation: 1, pointingGame: 1 },
      meanRank: 1,
    }],
  };
}

const bad = (field: string, problem: string) => `f.json: not a faithfulness.json written by xcnn faithfulness: ${field} ${problem}; write it again with xcnn faithfulness`;

/** The message of checking the valid file after `edit`, or 'accepted'. */
function verdict(edit: (file: Json) => void): string {
  const file = valid();
  edit(file);
  try {
    checkFaithfulnessJson(file, 'f.json');
  } catch (error) {
    expect(error).toBeInstanceOf(XcnnError);
    return (error as Error).message;
  }
  return 'accepted';
}

/** Deletes the field at a dotted path ('methods.0.ranks.randomisation'). */
const without = (path: string) => (file: Json) => {
  const keys = path.split('.');
  const last = keys.pop()!;
  delete keys.reduce((o, k) => o[k], file)[last];
};
const setting = (path: string, value: unknown) => (file: Json) => {
  const keys = path.split('.');
  const last = keys.pop()!;
  keys.reduce((o, k) => o[k], file)[last] = value;
};

describe('checkFaithfulnessJson', () => {
  it('accepts the file as xcnn faithfulness writes it, and without the fields it may leave out', () => {
    expect(verdict(() => {})).toBe('accepted');
    for (const field of ['indices', 'model', 'dataset', 'methods.0.title']) expect(verdict(without(field)), field).toBe('accepted');
    const file = valid();
    expect(checkFaithfulnessJson(file, 'f.json')).toBe(file);
  });

  it.each([
    ['images', 'is missing, not a number'],
    ['settings', 'is missing, not an object'],
    ['settings.steps', 'is missing, not a number'],
    ['settings.road', 'is missing, not an object'],
    ['settings.road.sigma', 'is missing, not a number'],
    ['settings.pointing', 'is missing, not an object'],
    ['settings.pointing.tolerance', 'is missing, not a number'],
    ['settings.pointing.inkThreshold', 'is missing, not a number'],
    ['settings.randomisationImages', 'is missing, not a number'],
    ['settings.flagThreshold', 'is missing, not a number'],
    ['random', 'is missing, not an object'],
    ['random.deletion', 'is missing, not an object'],
    ['random.deletion.zero', 'is missing, not a number'],
    ['random.deletion.road', 'is missing, not a number'],
    ['random.insertion', 'is missing, not an object'],
    ['random.insertion.zero', 'is missing, not a number'],
    ['methods', 'is missing, not an array'],
    ['methods.0.method', 'is missing, not a string'],
    ['methods.0.deletion', 'is missing, not an object'],
    ['methods.0.deletion.road', 'is missing, not a number'],
    ['methods.0.insertion', 'is missing, not an object'],
    ['methods.0.insertion.zero', 'is missing, not a number'],
    ['methods.0.vsRandom', 'is missing, not a number'],
    ['methods.0.randomisation', 'is missing, not an object'],
    ['methods.0.randomisation.spearman', 'is missing, not a number'],
    ['methods.0.randomisation.ssim', 'is missing, not a number'],
    ['methods.0.randomisation.flagged', 'is missing, not true or false'],
    ['methods.0.pointingGame', 'is missing, not an object'],
    ['methods.0.pointingGame.hitRate', 'is missing, not a number'],
    ['methods.0.msPerImage', 'is missing, not a number'],
    ['methods.0.ranks', 'is missing, not an object'],
    ['methods.0.ranks.deletionZero', 'is missing, not a number'],
    ['methods.0.ranks.deletionRoad', 'is missing, not a number'],
    ['methods.0.ranks.insertionZero', 'is missing, not a number'],
    ['methods.0.ranks.insertionRoad', 'is missing, not a number'],
    ['methods.0.ranks.randomisation', 'is missing, not a number'],
    ['methods.0.ranks.pointingGame', 'is missing, not a number'],
    ['methods.0.meanRank', 'is missing, not a number'],
  ])('refuses a file without %s', (field, problem) => {
    expect(verdict(without(field))).toBe(bad(field.replace(/\.(\d+)\./, '[$1].'), problem));
  });

  it('refuses values of the wrong kind, describing what it found', () => {
    expect(verdict(setting('settings.flagThreshold', true))).toBe(bad('settings.flagThreshold', 'is true (a boolean), not a number'));
    expect(verdict(setting('settings.road', 0.01))).toBe(bad('settings.road', 'is 0.01 (a number), not an object'));
    expect(verdict(setting('settings.pointing', null))).toBe(bad('settings.pointing', 'is null, not an object'));
    expect(verdict(setting('settings.road', [0.01]))).toBe(bad('settings.road', 'is an array, not an object'));
    expect(verdict(setting('methods.0.vsRandom', [0.25]))).toBe(bad('methods[0].vsRandom', 'is an array, not a number'));
    expect(verdict(setting('methods.0.vsRandom', '0.25'))).toBe(bad('methods[0].vsRandom', 'is "0.25" (a string), not a number'));
    expect(verdict(setting('methods', { 0: {} }))).toBe(bad('methods', 'is an object, not an array'));
    expect(verdict(setting('methods.0', 'grad-cam'))).toBe(bad('methods[0]', 'is "grad-cam" (a string), not an object'));
    expect(verdict(setting('methods.0.randomisation.flagged', 0))).toBe(bad('methods[0].randomisation.flagged', 'is 0 (a number), not true or false'));
    expect(verdict(setting('methods.0.title', 'T'.repeat(41)))).toBe('accepted');
    expect(verdict(setting('methods.0.title', 5))).toBe(bad('methods[0].title', 'is 5 (a number), not a string'));
    expect(verdict(setting('model', 'abcdefghij'.repeat(5)))).toBe('accepted');
    expect(verdict(setting('dataset', { name: 'x' }))).toBe(bad('dataset', 'is an object, not a string'));
    // A long string is quoted by its first 40 characters.
    expect(verdict(setting('methods.0.vsRandom', 'v'.repeat(45)))).toBe(bad('methods[0].vsRandom', `is "${'v'.repeat(40)}…" (a string), not a number`));
    expect(verdict(setting('methods.0.vsRandom', 'v'.repeat(40)))).toBe(bad('methods[0].vsRandom', `is "${'v'.repeat(40)}" (a string), not a number`));
    expect(verdict(setting('random.insertion.road', 1e400))).toBe(bad('random.insertion.road', 'is Infinity (a number), not a number'));
    expect(() => checkFaithfulnessJson('text', 'f.json')).toThrow(bad('the file', 'is "text" (a string), not an object'));
    expect(() => checkFaithfulnessJson(null, 'f.json')).toThrow(bad('the file', 'is null, not an object'));
  });

  it('holds each count to its range: accepted at the limits, refused one past them', () => {
    expect(verdict(setting('images', 0))).toBe(bad('images', `is 0, not a whole number from 1 to ${MAX_IMAGES}`));
    expect(verdict((f) => { f.images = 1; f.indices = [7]; })).toBe('accepted');
    expect(verdict((f) => { f.images = MAX_IMAGES; delete f.indices; })).toBe('accepted');
    expect(verdict((f) => { f.images = MAX_IMAGES + 1; delete f.indices; })).toBe(bad('images', `is ${MAX_IMAGES + 1}, not a whole number from 1 to ${MAX_IMAGES}`));
    expect(verdict(setting('indices', [0, 5]))).toBe(bad('indices', 'has 2 entries, not 3 to 3'));
    expect(verdict(setting('indices', [0, 5, 9, 10]))).toBe(bad('indices', 'has 4 entries, not 3 to 3'));
    expect(verdict(setting('indices', [0, 1.5, 2]))).toBe(bad('indices[1]', 'is 1.5, not a whole number from 0 to 9007199254740991'));
    expect(verdict(setting('indices', [0, 5, '9']))).toBe(bad('indices[2]', 'is "9" (a string), not a number'));
    expect(verdict(setting('settings.steps', 0))).toBe(bad('settings.steps', 'is 0, not a whole number from 1 to 1000000'));
    expect(verdict(setting('settings.steps', 1))).toBe('accepted');
    expect(verdict(setting('settings.steps', 1_000_000))).toBe('accepted');
    expect(verdict(setting('settings.steps', 1_000_001))).toBe(bad('settings.steps', 'is 1000001, not a whole number from 1 to 1000000'));
    expect(verdict(setting('settings.randomisationImages', 0))).toBe('accepted');
    expect(verdict(setting('settings.randomisationImages', -1))).toBe(bad('settings.randomisationImages', `is -1, not a whole number from 0 to ${MAX_IMAGES}`));
    expect(verdict(setting('settings.randomisationImages', MAX_IMAGES))).toBe('accepted');
    expect(verdict(setting('settings.randomisationImages', MAX_IMAGES + 1))).toBe(bad('settings.randomisationImages', `is ${MAX_IMAGES + 1}, not a whole number from 0 to ${MAX_IMAGES}`));
  });

  it('holds the methods to 1 … 256 and each name to 1 … 1024 characters', () => {
    expect([MAX_METHODS, MAX_NAME_LENGTH, MAX_IMAGES, MAX_FAITHFULNESS_BYTES]).toEqual([256, 1024, 10_000_000, 64 * 1024 * 1024]);
    expect(verdict((f) => { f.methods = Array.from({ length: 256 }, () => f.methods[0]); })).toBe('accepted');
    expect(verdict((f) => { f.methods = Array.from({ length: 257 }, () => f.methods[0]); })).toBe(bad('methods', 'has 257 entries, not 1 to 256'));
    expect(verdict((f) => { f.methods = [f.methods[0], { ...f.methods[0], meanRank: 'x' }]; })).toBe(bad('methods[1].meanRank', 'is "x" (a string), not a number'));
    expect(verdict(setting('methods.0.method', 'm'.repeat(1024)))).toBe('accepted');
    expect(verdict(setting('methods.0.method', 'm'))).toBe('accepted');
    expect(verdict(setting('methods.0.method', 'm'.repeat(1025)))).toBe(bad('methods[0].method', 'is 1025 characters long, not 1 to 1024'));
    expect(verdict(setting('model', ''))).toBe(bad('model', 'is 0 characters long, not 1 to 1024'));
    expect(verdict(setting('methods.0.title', ''))).toBe(bad('methods[0].title', 'is 0 characters long, not 1 to 1024'));
  });
});

describe('readFaithfulnessFile', () => {
  const work = mkdtempSync(join(tmpdir(), 'xcnn-faithfulness-file-read-'));

  it('reads the JSON alone when no faithfulness.png is beside it, and the figure when one is', () => {
    const alone = mkdtempSync(join(work, 'alone-'));
    writeFileSync(join(alone, 'results.json'), JSON.stringify(valid()));
    expect(readFaithfulnessFile(join(alone, 'results.json'))).toEqual({ json: valid() });

    const both = mkdtempSync(join(work, 'both-'));
    writeFileSync(join(both, 'faithfulness.json'), JSON.stringify(valid()));
    const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3);
    writeFileSync(join(both, 'faithfulness.png'), png);
    const section = readFaithfulnessFile(join(both, 'faithfulness.json'));
    expect(section.json).toEqual(valid());
    expect(Array.from(section.figure!.png)).toEqual(Array.from(png));
    expect(section.figure!.alt).toBe('Explanation methods side by side on correct and misclassified digits');
  });

  it('refuses a figure whose signature is one byte off, and a file that is not there, naming it', () => {
    const dir = mkdtempSync(join(work, 'bad-png-'));
    writeFileSync(join(dir, 'faithfulness.json'), JSON.stringify(valid()));
    writeFileSync(join(dir, 'faithfulness.png'), Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0b, 1));
    expect(() => readFaithfulnessFile(join(dir, 'faithfulness.json'))).toThrow(`${join(dir, 'faithfulness.png')}: not a PNG file`);
    expect(() => readFaithfulnessFile(join(dir, 'absent.json'))).toThrow(/absent\.json.*no such file \(write it with xcnn faithfulness\)/);
  });

  it('names the first field holding a bare NaN or Infinity, in the order of the file, objects and arrays alike', () => {
    const dir = mkdtempSync(join(work, 'nan-'));
    const path = join(dir, 'faithfulness.json');
    const text = JSON.stringify(valid());
    const refusal = (body: string) => {
      writeFileSync(path, body);
      try {
        readFaithfulnessFile(path);
      } catch (error) {
        return (error as Error).message.slice(path.length + 2);
      }
      return 'accepted';
    };
    const field = (name: string, token: string) => `not a faithfulness.json written by xcnn faithfulness: ${name} is ${token}, not a number; write it again with xcnn faithfulness`;
    expect(refusal(text.replace('"indices":[0,5,9]', '"indices":[0,NaN,Infinity]'))).toBe(field('indices[1]', 'NaN'));
    expect(refusal(text.replace('"vsRandom":0.25', '"vsRandom":Infinity').replace('"msPerImage":1.5', '"msPerImage":NaN'))).toBe(field('methods[0].vsRandom', 'Infinity'));
    expect(refusal(text.replace('"sigma":0.01', '"sigma":-Infinity'))).toBe(field('settings.road.sigma', '-Infinity'));
    expect(refusal(text.replace('"images":3', '"images":NaN'))).toBe(field('images', 'NaN'));
    // A field path of exactly 120 characters is named whole.
    const key = 'k'.repeat(117);
    expect(refusal(`{"${key}":[NaN]}`)).toBe(field(`${key}[0]`, 'NaN'));
    const longer = 'k'.repeat(118);
    const longPath = `${longer}[0]`;
    expect(refusal(`{"${longer}":[NaN]}`)).toBe(field(`${longPath.slice(0, 60)}…${longPath.slice(-40)}`, 'NaN'));
    // A root array is 'the file', and a null met on the way is stepped over.
    expect(refusal('[1, NaN]')).toBe(field('the file[1]', 'NaN'));
    expect(refusal(text.replace('"indices":[0,5,9]', '"indices":[null,5,9]').replace('"vsRandom":0.25', '"vsRandom":NaN'))).toBe(field('methods[0].vsRandom', 'NaN'));
    // Strings with escaped quotes are read whole: a "NaN" inside one is text, not a value.
    expect(text).toContain('"model":"m.safetensors"');
    expect(refusal(text.replace('"model":"m.safetensors"', '"model":"a \\"NaN\\" and \\"Infinity\\" \\\\ "').replace('"msPerImage":1.5', '"msPerImage":NaN'))).toBe(field('methods[0].msPerImage', 'NaN'));
  });

  it('says a file is not JSON in one line, with the parser\'s reason, where no bare NaN or Infinity explains it', () => {
    const dir = mkdtempSync(join(work, 'not-json-'));
    const path = join(dir, 'faithfulness.json');
    const notJson = (body: string) => {
      writeFileSync(path, body);
      let parserSays = '';
      try {
        JSON.parse(body);
      } catch (error) {
        parserSays = (error as Error).message;
      }
      expect(parserSays).not.toBe('');
      expect(() => readFaithfulnessFile(path)).toThrow(new XcnnError(`${path}: not a faithfulness.json: not valid JSON (${parserSays.split(/\s+/).join(' ')}); write it again with xcnn faithfulness`));
    };
    notJson('{"steps":\n\n\n    oops}'); // the parser quotes the text near the error, newlines and indent: one line, one space each
    notJson('{NaN: 1}'); // a bare word as a key: marking it makes a key, not a value
    notJson('{"a": NaN,}'); // a NaN and a syntax error besides
    writeFileSync(path, '{"steps":\n\n\n    oops}');
    try {
      readFaithfulnessFile(path);
    } catch (error) {
      expect((error as Error).message).not.toMatch(/\n| {2}/);
      expect((error as Error).message).toContain('oops');
    }
  });

  it('names what it could not read: the results, or the figure beside them', () => {
    const dir = mkdtempSync(join(work, 'unreadable-'));
    expect(() => readFaithfulnessFile(dir)).toThrow(new XcnnError(`${dir}: cannot read the faithfulness results: is a directory`, { code: 'ERR_FILE' }));
    writeFileSync(join(dir, 'faithfulness.json'), JSON.stringify(valid()));
    mkdirSync(join(dir, 'faithfulness.png'));
    expect(() => readFaithfulnessFile(join(dir, 'faithfulness.json'))).toThrow(new XcnnError(`${join(dir, 'faithfulness.png')}: cannot read the faithfulness figure: is a directory`, { code: 'ERR_FILE' }));
    const large = mkdtempSync(join(work, 'large-figure-'));
    writeFileSync(join(large, 'faithfulness.json'), JSON.stringify(valid()));
    writeFileSync(join(large, 'faithfulness.png'), '');
    truncateSync(join(large, 'faithfulness.png'), MAX_FAITHFULNESS_BYTES + 1); // sparse: nothing is written
    expect(() => readFaithfulnessFile(join(large, 'faithfulness.json'))).toThrow(
      new XcnnError(`${join(large, 'faithfulness.png')}: cannot read the faithfulness figure: it is ${MAX_FAITHFULNESS_BYTES + 1} bytes, more than the ${MAX_FAITHFULNESS_BYTES} such a file can be`, { code: 'ERR_FILE' }),
    );
  });
});
