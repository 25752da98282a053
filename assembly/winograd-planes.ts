/**
 * What both Winograd algorithms (winograd.ts, F(2×2, 3×3); winograd-4x4.ts, F(4×4, 3×3)) do alike around their
 * tiles: a chunk's tile geometry and scratch layout (m outputs a tile side, an (m + 2)² window: m = 2 or 4), the
 * row length of their transformed tiles V, and moving one channel of an image into the zero-bordered plane their
 * tiles' windows are read from (and, for the input gradient, back out of it).
 */
import { copyRun } from './float-runs';

/** V's row length for T tiles: at least T + 3 (a last group's spare lanes), a multiple of four. */
// @ts-ignore: decorator
@inline
export function tilesPadded(tiles: i32): i32 {
  return (tiles + 6) & ~3;
}

/** n rounded up to a multiple of four (a scratch block's floats, so that the next starts 16-byte aligned). */
// @ts-ignore: decorator
@inline
export function align4(n: i32): i32 {
  return (n + 3) & ~3;
}

/** The channel [height, width] at `channel` into the plane (rows planeW floats long) at (padding, padding). */
// @ts-ignore: decorator
@inline
export function channelIntoPlane(channel: usize, height: i32, width: i32, plane: usize, planeW: i32, padding: i32): void {
  for (let y = 0; y < height; y++) {
    copyRun(channel + (<usize>(y * width) << 2), plane + (<usize>((y + padding) * planeW + padding) << 2), width);
  }
}

/** The channel's part of the plane, from (padding, padding), back to [height, width] at `channel`. */
// @ts-ignore: decorator
@inline
export function planeIntoChannel(plane: usize, planeW: i32, padding: i32, channel: usize, height: i32, width: i32): void {
  for (let y = 0; y < height; y++) {
    copyRun(plane + (<usize>((y + padding) * planeW + padding) << 2), channel + (<usize>(y * width) << 2), width);
  }
}

/** ⌈size / m⌉: the tiles of m outputs a side along a side of OUTPUT size `size`. */
// @ts-ignore: decorator
@inline
export function tilesAlong(m: i32, size: i32): i32 {
  return (size + m - 1) / m;
}

// The floats of V [(m+2)², C, tilesPadded(T)], of M [T, (m+2)², F] with four floats' slack (a last, partial group's
// whole-v128 loads), and of the zero-bordered plane of one channel.
// @ts-ignore: decorator
@inline
function vFloats(m: i32, tiles: i32, channels: i32): i32 {
  return (m + 2) * (m + 2) * channels * tilesPadded(tiles);
}
// @ts-ignore: decorator
@inline
function mFloats(m: i32, tiles: i32, outChannels: i32): i32 {
  return align4(tiles * (m + 2) * (m + 2) * outChannels + 4);
}
/** The floats of a zero-bordered plane of one channel, for tiles of m outputs a side (16-byte aligned). */
// @ts-ignore: decorator
@inline
export function planeFloats(m: i32, tileRows: i32, tileCols: i32): i32 {
  return align4((m * tileRows + 2) * (m * tileCols + 2));
}

/**
 * Floats of the scratch blocks both algorithms lay out for `images` images of [channels, H, W] with padding P into
 * outChannels maps: V, M, the plane, then the tile offsets (as many i32s as tiles an image). Every block starts
 * 16-byte aligned; F(4×4) adds a block of its own after them (winograd-4x4.ts).
 */
// @ts-ignore: decorator
@inline
export function tileScratchFloats(m: i32, images: i32, channels: i32, height: i32, width: i32, padding: i32, outChannels: i32): i32 {
  const tileRows = tilesAlong(m, height + 2 * padding - 2);
  const tileCols = tilesAlong(m, width + 2 * padding - 2);
  const tiles = images * tileRows * tileCols;
  return vFloats(m, tiles, channels) + mFloats(m, tiles, outChannels) + planeFloats(m, tileRows, tileCols) + align4(tileRows * tileCols);
}

// What a chunk's call works with: the map's sizes in tiles, and where V, M, the plane and the offsets lie.
// Globals, not an object (the module has no allocator: its runtime is the stub); each thread's instance of the
// module has its own, and a thread runs one algorithm's call at a time.
export let outH: i32 = 0;
export let outW: i32 = 0;
export let tileRows: i32 = 0;
export let tileCols: i32 = 0;
export let perImage: i32 = 0;
export let tiles: i32 = 0;
export let stride: i32 = 0; // V's row length, tilesPadded(tiles)
export let planeW: i32 = 0;
export let planeSize: i32 = 0; // the plane's floats
export let vBlock: usize = 0;
export let mBlock: usize = 0;
export let plane: usize = 0;
export let offsets: usize = 0;
export let afterOffsets: usize = 0; // the first byte past the offsets' block

/**
 * Floats of V [(m+2)², C, tilesPadded(T)] for a call on `images` images of [channels, H, W] with padding P: what a
 * forward pass's transformed input tiles take where they are kept for the backward pass (keepTilesAt).
 */
// @ts-ignore: decorator
@inline
export function transformedTileFloats(m: i32, images: i32, channels: i32, height: i32, width: i32, padding: i32): i32 {
  const tiles = images * tilesAlong(m, height + 2 * padding - 2) * tilesAlong(m, width + 2 * padding - 2);
  return vFloats(m, tiles, channels);
}

/** Moves V out of the scratch to `at` (after setTileGeometry): a forward pass's transformed tiles, kept. */
// @ts-ignore: decorator
@inline
export function keepTilesAt(at: usize): void {
  vBlock = at;
}

/** Sets the globals above for a call on `images` images with tiles of m outputs a side, and each tile's window corner in the plane. */
// @ts-ignore: decorator
@inline
export function setTileGeometry(m: i32, images: i32, channels: i32, height: i32, width: i32, padding: i32, outChannels: i32, scratch: usize): void {
  outH = height + 2 * padding - 2;
  outW = width + 2 * padding - 2;
  tileRows = tilesAlong(m, outH);
  tileCols = tilesAlong(m, outW);
  perImage = tileRows * tileCols;
  tiles = images * perImage;
  stride = tilesPadded(tiles);
  planeW = m * tileCols + 2;
  planeSize = planeFloats(m, tileRows, tileCols);
  vBlock = scratch;
  mBlock = vBlock + (<usize>vFloats(m, tiles, channels) << 2);
  plane = mBlock + (<usize>mFloats(m, tiles, outChannels) << 2);
  offsets = plane + (<usize>planeSize << 2);
  afterOffsets = offsets + (<usize>align4(perImage) << 2);
  for (let ty = 0; ty < tileRows; ty++) {
    for (let tx = 0; tx < tileCols; tx++) store<i32>(offsets + (<usize>(ty * tileCols + tx) << 2), m * ty * planeW + m * tx);
  }
}

// The window corner of tile first + k (k = 0 .. 3) of an image in the plane (a byte address); a tile past the
// image's last repeats the last.
// @ts-ignore: decorator
@inline
export function corner(first: i32, k: i32): usize {
  return plane + (<usize>load<i32>(offsets + (<usize>min(first + k, perImage - 1) << 2)) << 2);
}
