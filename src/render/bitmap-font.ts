/**
 * A tiny bitmap font for figure labels, so figures need no font files and render the same everywhere.
 *
 * Each glyph is 5 pixels wide and 7 tall above the baseline, with 2 more rows below it for descenders
 * (g, j, p, q, y, the comma): a 5 × 9 cell, drawn 6 pixels apart (one column of spacing). Glyphs are
 * written as rows top to bottom separated by '/', '#' for ink; rows left out at the bottom are blank.
 * A character without a glyph draws as '?'. The shapes follow the classic 5 × 7 dot-matrix character
 * sets (such as the HD44780 LCD controller's), redrawn here.
 */
import type { Raster, Rgb } from './raster.js';

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 9; // 7 above the baseline, 2 below
export const GLYPH_ADVANCE = 6;
export const LINE_HEIGHT = 11;

export const GLYPHS: Readonly<Record<string, string>> = {
  ' ': '',
  '0': '.###./#...#/#..##/#.#.#/##..#/#...#/.###.',
  '1': '..#../.##../..#../..#../..#../..#../.###.',
  '2': '.###./#...#/....#/...#./..#../.#.../#####',
  '3': '#####/...#./..#../...#./....#/#...#/.###.',
  '4': '...#./..##./.#.#./#..#./#####/...#./...#.',
  '5': '#####/#..../####./....#/....#/#...#/.###.',
  '6': '..##./.#.../#..../####./#...#/#...#/.###.',
  '7': '#####/....#/...#./..#../.#.../.#.../.#...',
  '8': '.###./#...#/#...#/.###./#...#/#...#/.###.',
  '9': '.###./#...#/#...#/.####/....#/...#./.##..',
  A: '.###./#...#/#...#/#####/#...#/#...#/#...#',
  B: '####./#...#/#...#/####./#...#/#...#/####.',
  C: '.###./#...#/#..../#..../#..../#...#/.###.',
  D: '###../#..#./#...#/#...#/#...#/#..#./###..',
  E: '#####/#..../#..../####./#..../#..../#####',
  F: '#####/#..../#..../####./#..../#..../#....',
  G: '.###./#...#/#..../#.###/#...#/#...#/.####',
  H: '#...#/#...#/#...#/#####/#...#/#...#/#...#',
  I: '.###./..#../..#../..#../..#../..#../.###.',
  J: '..###/...#./...#./...#./...#./#..#./.##..',
  K: '#...#/#..#./#.#../##.../#.#../#..#./#...#',
  L: '#..../#..../#..../#..../#..../#..../#####',
  M: '#...#/##.##/#.#.#/#.#.#/#...#/#...#/#...#',
  N: '#...#/#...#/##..#/#.#.#/#..##/#...#/#...#',
  O: '.###./#...#/#...#/#...#/#...#/#...#/.###.',
  P: '####./#...#/#...#/####./#..../#..../#....',
  Q: '.###./#...#/#...#/#...#/#.#.#/#..#./.##.#',
  R: '####./#...#/#...#/####./#.#../#..#./#...#',
  S: '.####/#..../#..../.###./....#/....#/####.',
  T: '#####/..#../..#../..#../..#../..#../..#..',
  U: '#...#/#...#/#...#/#...#/#...#/#...#/.###.',
  V: '#...#/#...#/#...#/#...#/#...#/.#.#./..#..',
  W: '#...#/#...#/#...#/#.#.#/#.#.#/#.#.#/.#.#.',
  X: '#...#/#...#/.#.#./..#../.#.#./#...#/#...#',
  Y: '#...#/#...#/#...#/.#.#./..#../..#../..#..',
  Z: '#####/....#/...#./..#../.#.../#..../#####',
  a: '...../...../.###./....#/.####/#...#/.####',
  b: '#..../#..../#.##./##..#/#...#/#...#/####.',
  c: '...../...../.###./#..../#..../#...#/.###.',
  d: '....#/....#/.##.#/#..##/#...#/#...#/.####',
  e: '...../...../.###./#...#/#####/#..../.###.',
  f: '..##./.#..#/.#.../###../.#.../.#.../.#...',
  g: '...../...../.####/#...#/#...#/#...#/.####/....#/.###.',
  h: '#..../#..../#.##./##..#/#...#/#...#/#...#',
  i: '..#../...../.##../..#../..#../..#../.###.',
  j: '...#./...../..##./...#./...#./...#./...#./#..#./.##..',
  k: '#..../#..../#..#./#.#../##.../#.#../#..#.',
  l: '.##../..#../..#../..#../..#../..#../.###.',
  m: '...../...../##.#./#.#.#/#.#.#/#...#/#...#',
  n: '...../...../#.##./##..#/#...#/#...#/#...#',
  o: '...../...../.###./#...#/#...#/#...#/.###.',
  p: '...../...../####./#...#/#...#/#...#/####./#..../#....',
  q: '...../...../.####/#...#/#...#/#...#/.####/....#/....#',
  r: '...../...../#.##./##..#/#..../#..../#....',
  s: '...../...../.####/#..../.###./....#/####.',
  t: '.#.../.#.../###../.#.../.#.../.#..#/..##.',
  u: '...../...../#...#/#...#/#...#/#..##/.##.#',
  v: '...../...../#...#/#...#/#...#/.#.#./..#..',
  w: '...../...../#...#/#...#/#.#.#/#.#.#/.#.#.',
  x: '...../...../#...#/.#.#./..#../.#.#./#...#',
  y: '...../...../#...#/#...#/#...#/#...#/.####/....#/.###.',
  z: '...../...../#####/...#./..#../.#.../#####',
  '.': '...../...../...../...../...../.##../.##..',
  ',': '...../...../...../...../...../.##../.##../..#../.#...',
  ':': '...../.##../.##../...../.##../.##../.....',
  ';': '...../.##../.##../...../.##../.##../..#../.#...',
  '%': '##.../##..#/...#./..#../.#.../#..##/...##',
  '-': '...../...../...../.###./...../...../.....',
  '+': '...../..#../..#../#####/..#../..#../.....',
  '=': '...../...../#####/...../#####/...../.....',
  '/': '...../....#/...#./..#../.#.../#..../.....',
  '\\': '...../#..../.#.../..#../...#./....#/.....',
  '(': '...#./..#../.#.../.#.../.#.../..#../...#.',
  ')': '.#.../..#../...#./...#./...#./..#../.#...',
  '[': '.###./.#.../.#.../.#.../.#.../.#.../.###.',
  ']': '.###./...#./...#./...#./...#./...#./.###.',
  '<': '...#./..#../.#.../#..../.#.../..#../...#.',
  '>': '.#.../..#../...#./....#/...#./..#../.#...',
  '_': '...../...../...../...../...../...../#####',
  '#': '.#.#./.#.#./#####/.#.#./#####/.#.#./.#.#.',
  '*': '...../..#../#.#.#/.###./#.#.#/..#../.....',
  '|': '..#../..#../..#../..#../..#../..#../..#..',
  '!': '..#../..#../..#../..#../..#../...../..#..',
  '?': '.###./#...#/....#/...#./..#../...../..#..',
  "'": '..#../..#../.#.../...../...../...../.....',
  '"': '.#.#./.#.#./.#.#./...../...../...../.....',
  '×': '...../#...#/.#.#./..#../.#.#./#...#/.....',
  '·': '...../...../...../..#../...../...../.....',
  '→': '...../..#../...#./#####/...#./..#../.....',
  '←': '...../..#../.#.../#####/.#.../..#../.....',
  '↓': '..#../..#../..#../#.#.#/.###./..#../.....',
  '↑': '..#../.###./#.#.#/..#../..#../..#../.....',
  'α': '...../...../.##.#/#..#./#..#./#..#./.##.#',
};

/** Typographic look-alikes drawn with an existing glyph. */
const ALIASES: Record<string, string> = { '−': '-', '–': '-', '—': '-', '’': "'", '‘': "'" };

/** Glyph bitmaps: [row][column] booleans, 9 rows of 5. */
const BITMAPS = new Map<string, boolean[][]>(
  Object.entries(GLYPHS).map(([character, pattern]) => {
    const rows = pattern === '' ? [] : pattern.split('/');
    return [character, Array.from({ length: GLYPH_HEIGHT }, (_, r) => Array.from({ length: GLYPH_WIDTH }, (_, c) => rows[r]?.[c] === '#'))];
  }),
);

export function hasGlyph(character: string): boolean {
  return BITMAPS.has(character) || character in ALIASES;
}

function glyphFor(character: string): boolean[][] {
  return BITMAPS.get(ALIASES[character] ?? character) ?? BITMAPS.get('?')!;
}

/** The width in pixels of a line of text drawn at `scale` (no trailing spacing). */
export function textWidth(text: string, scale = 1): number {
  const characters = [...text].length;
  return characters === 0 ? 0 : (characters * GLYPH_ADVANCE - 1) * scale;
}

/** The height of a line of text at `scale`, descenders included. */
export function textHeight(scale = 1): number {
  return GLYPH_HEIGHT * scale;
}

export type TextAlign = 'left' | 'center' | 'right';

/**
 * Draws one line of text with its top-left corner at (x, y) (or its top centre / top right, by `align`),
 * every font pixel a `scale` × `scale` square.
 */
export function drawText(raster: Raster, text: string, x: number, y: number, color: Rgb, scale = 1, align: TextAlign = 'left'): void {
  const width = textWidth(text, scale);
  let left = Math.round(align === 'left' ? x : align === 'center' ? x - width / 2 : x - width);
  for (const character of text) {
    const glyph = glyphFor(character);
    for (let r = 0; r < GLYPH_HEIGHT; r++) {
      for (let c = 0; c < GLYPH_WIDTH; c++) if (glyph[r][c]) raster.fillRect(left + c * scale, y + r * scale, scale, scale, color);
    }
    left += GLYPH_ADVANCE * scale;
  }
}

/**
 * Draws text rotated a quarter turn anticlockwise (reading bottom to top, as a y-axis title), centred
 * on (x, y) along its length, with its left edge at x.
 */
export function drawTextVertical(raster: Raster, text: string, x: number, y: number, color: Rgb, scale = 1): void {
  const length = textWidth(text, scale);
  let bottom = Math.round(y + length / 2);
  for (const character of text) {
    const glyph = glyphFor(character);
    for (let r = 0; r < GLYPH_HEIGHT; r++) {
      // Glyph row r becomes column r from the left; glyph column c goes up from the bottom.
      for (let c = 0; c < GLYPH_WIDTH; c++) if (glyph[r][c]) raster.fillRect(x + r * scale, bottom - (c + 1) * scale, scale, scale, color);
    }
    bottom -= GLYPH_ADVANCE * scale;
  }
}
