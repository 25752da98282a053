/**
 * What both Winograd algorithms (winograd.ts, F(2×2, 3×3); winograd-4x4.ts, F(4×4, 3×3)) do alike around their
 * tiles: the row length of their transformed tiles V, and moving one channel of an image into the zero-bordered
 * plane their tiles' windows are read from (and, for the input gradient, back out of it).
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
