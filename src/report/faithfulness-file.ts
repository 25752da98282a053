/**
 * A faithfulness.json read for the report (`xcnn report --faithfulness FILE`), trusting nothing in it: the
 * file is read as every user file is (src/files/read-file.ts: a regular file, at most 64 MB), parsed, and
 * every field the report shows is checked for its type — a finite number, a whole number, a string of
 * sane length, a boolean, an array of bounded length — so a hand-edited, truncated or foreign file is one
 * line naming the file and the field (`methods[2].deletion.road is "0.5" (a string), not a number`), never
 * a TypeError halfway through the report or a number printed as NaN. The strings are then escaped where
 * the HTML is made (faithfulness-section.ts); checking their type here is what lets it escape them.
 *
 * JSON has no NaN or Infinity, but Python's json module writes them bare: such a file does not parse, and
 * is parsed a second time with those tokens marked, only to say which field holds one.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { XcnnError } from '../errors.js';
import { RANKED_MEASURES } from '../faithfulness/faithfulness.js';
import type { FaithfulnessJson } from '../faithfulness/format.js';
import { readUserFile } from '../files/read-file.js';
import { PNG_SIGNATURE } from '../render/png.js';
import type { FaithfulnessSection } from './faithfulness-section.js';

/** The largest faithfulness.json read: xcnn's own, for every method on 10,000 images, is well under 1 MB. */
export const MAX_FAITHFULNESS_BYTES = 64 * 1024 * 1024;
/** The most methods a file may list (the registry has 16). */
export const MAX_METHODS = 256;
/** The longest method name, title, model path or data set name shown. */
export const MAX_NAME_LENGTH = 1024;
/** The most test images a file may claim (each is listed in `indices`). */
export const MAX_IMAGES = 10_000_000;

/** The report's Faithfulness section from a faithfulness.json, with faithfulness.png from the same folder when it is there. */
export function readFaithfulnessFile(path: string): FaithfulnessSection {
  const bytes = readUserFile(path, { what: 'the faithfulness results', maxBytes: MAX_FAITHFULNESS_BYTES, missing: 'no such file (write it with xcnn faithfulness)' });
  const json = checkFaithfulnessJson(parseJson(new TextDecoder().decode(bytes), path), path);
  const figurePath = join(dirname(path), 'faithfulness.png');
  if (!existsSync(figurePath)) return { json };
  const png = readUserFile(figurePath, { what: 'the faithfulness figure', maxBytes: MAX_FAITHFULNESS_BYTES });
  if (!PNG_SIGNATURE.every((b, k) => png[k] === b)) throw new XcnnError(`${figurePath}: not a PNG file, so not the figure xcnn faithfulness writes beside ${path}; remove it, or write both again with xcnn faithfulness`);
  return { json, figure: { png, alt: 'Explanation methods side by side on correct and misclassified digits' } };
}

/** A stand-in for a bare NaN or ±Infinity, which no real string holds (it starts with NUL). */
const NON_FINITE = '\u0000non-finite:';

/**
 * The file's text parsed. A syntax error is one line naming the file; where the error is a bare NaN or
 * ±Infinity, the line names the first field holding one.
 */
function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const notJson = new XcnnError(`${path}: not a faithfulness.json: not valid JSON (${(error as Error).message.replace(/\s+/g, ' ')}); write it again with xcnn faithfulness`);
    let marked: unknown;
    try {
      // Strings are matched first, so a "NaN" inside one is left alone.
      marked = JSON.parse(text.replace(/"[^"\\]*(?:\\.[^"\\]*)*"|-?Infinity|NaN/g, (token) => (token.startsWith('"') ? token : JSON.stringify(NON_FINITE + token))));
    } catch {
      throw notJson;
    }
    // No value holds one: the bare word was a key ({NaN: 1}), which is no more JSON than any other bare word.
    const found = firstNonFinite(marked, 'the file');
    if (found === null) throw notJson;
    // A field nested thousands deep is named by its two ends, so the message stays one readable line.
    const field = found.field.length > 120 ? `${found.field.slice(0, 60)}…${found.field.slice(-40)}` : found.field;
    throw new FieldChecker(path).fail(field, `is ${found.token}, not a number`);
  }
}

/**
 * The first field (depth first, in the file's order) holding a marked NaN or ±Infinity. Walked with a stack
 * of its own, not by recursion: a file may nest arrays hundreds of thousands deep.
 */
function firstNonFinite(root: unknown, rootField: string): { field: string; token: string } | null {
  const stack: Array<{ value: unknown; field: string }> = [{ value: root, field: rootField }];
  while (stack.length > 0) {
    const { value, field } = stack.pop()!;
    if (typeof value === 'string' && value.startsWith(NON_FINITE)) return { field, token: value.slice(NON_FINITE.length) };
    if (typeof value !== 'object' || value === null) continue;
    const entries = Array.isArray(value) ? value.map((item, k) => ({ value: item, field: `${field}[${k}]` })) : Object.entries(value).map(([key, item]) => ({ value: item, field: field === rootField ? key : `${field}.${key}` }));
    for (let k = entries.length - 1; k >= 0; k--) stack.push(entries[k]); // reversed, so the first entry is looked at first
  }
  return null;
}

/** What a value is, for a message: `"0.5" (a string)`, `NaN`, `an array`, `missing`. */
function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'string') return `${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)} (a string)`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${String(value)} (a ${typeof value})`;
}

/** Checks of one field, each failing with the field's path. */
class FieldChecker {
  constructor(private readonly path: string) {}

  fail(field: string, problem: string): XcnnError {
    return new XcnnError(`${this.path}: not a faithfulness.json written by xcnn faithfulness: ${field} ${problem}; write it again with xcnn faithfulness`);
  }

  object(value: unknown, field: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw this.fail(field, `is ${describeValue(value)}, not an object`);
    return value as Record<string, unknown>;
  }

  number(value: unknown, field: string): number {
    // Number.isFinite is false for anything but a finite number, a string of digits included.
    if (!Number.isFinite(value)) throw this.fail(field, `is ${describeValue(value)}, not a number`);
    return value as number;
  }

  wholeNumber(value: unknown, field: string, min: number, max: number): number {
    const n = this.number(value, field);
    if (!Number.isInteger(n) || n < min || n > max) throw this.fail(field, `is ${n}, not a whole number from ${min} to ${max}`);
    return n;
  }

  boolean(value: unknown, field: string): boolean {
    if (typeof value !== 'boolean') throw this.fail(field, `is ${describeValue(value)}, not true or false`);
    return value;
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string') throw this.fail(field, `is ${describeValue(value)}, not a string`);
    if (value.length === 0 || value.length > MAX_NAME_LENGTH) throw this.fail(field, `is ${value.length} characters long, not 1 to ${MAX_NAME_LENGTH}`);
    return value;
  }

  array(value: unknown, field: string, min: number, max: number): unknown[] {
    if (!Array.isArray(value)) throw this.fail(field, `is ${describeValue(value)}, not an array`);
    if (value.length < min || value.length > max) throw this.fail(field, `has ${value.length} entries, not ${min} to ${max}`);
    return value;
  }

  /** `{ zero, road }`: the two fills' AUCs. */
  areas(value: unknown, field: string): { zero: number; road: number } {
    const areas = this.object(value, field);
    return { zero: this.number(areas.zero, `${field}.zero`), road: this.number(areas.road, `${field}.road`) };
  }
}

/**
 * A parsed faithfulness.json, checked field by field: the fields the report shows, typed as
 * `faithfulnessJson` (src/faithfulness/format.ts) writes them. Fields the report does not show are kept as
 * they are, unread.
 */
export function checkFaithfulnessJson(value: unknown, path: string): FaithfulnessJson {
  const check = new FieldChecker(path);
  const json = check.object(value, 'the file');
  const images = check.wholeNumber(json.images, 'images', 1, MAX_IMAGES);
  if (json.indices !== undefined) check.array(json.indices, 'indices', images, images).forEach((index, k) => check.wholeNumber(index, `indices[${k}]`, 0, Number.MAX_SAFE_INTEGER));
  if (json.model !== undefined) check.string(json.model, 'model');
  if (json.dataset !== undefined) check.string(json.dataset, 'dataset');

  const settings = check.object(json.settings, 'settings');
  check.wholeNumber(settings.steps, 'settings.steps', 1, 1_000_000);
  check.number(check.object(settings.road, 'settings.road').sigma, 'settings.road.sigma');
  const pointing = check.object(settings.pointing, 'settings.pointing');
  check.number(pointing.tolerance, 'settings.pointing.tolerance');
  check.number(pointing.inkThreshold, 'settings.pointing.inkThreshold');
  check.wholeNumber(settings.randomisationImages, 'settings.randomisationImages', 0, MAX_IMAGES);
  check.number(settings.flagThreshold, 'settings.flagThreshold');

  const random = check.object(json.random, 'random');
  check.areas(random.deletion, 'random.deletion');
  check.areas(random.insertion, 'random.insertion');

  check.array(json.methods, 'methods', 1, MAX_METHODS).forEach((entry, m) => {
    const at = `methods[${m}]`;
    const method = check.object(entry, at);
    check.string(method.method, `${at}.method`);
    if (method.title !== undefined) check.string(method.title, `${at}.title`);
    check.areas(method.deletion, `${at}.deletion`);
    check.areas(method.insertion, `${at}.insertion`);
    check.number(method.vsRandom, `${at}.vsRandom`);
    const randomisation = check.object(method.randomisation, `${at}.randomisation`);
    check.number(randomisation.spearman, `${at}.randomisation.spearman`);
    check.number(randomisation.ssim, `${at}.randomisation.ssim`);
    check.boolean(randomisation.flagged, `${at}.randomisation.flagged`);
    check.number(check.object(method.pointingGame, `${at}.pointingGame`).hitRate, `${at}.pointingGame.hitRate`);
    check.number(method.msPerImage, `${at}.msPerImage`);
    const ranks = check.object(method.ranks, `${at}.ranks`);
    for (const measure of Object.keys(RANKED_MEASURES)) check.number(ranks[measure], `${at}.ranks.${measure}`);
    check.number(method.meanRank, `${at}.meanRank`);
  });
  return json as unknown as FaithfulnessJson;
}
