/**
 * ROAD's noisy linear imputation (Rong, Leemann, Borisov, Kasneci & Kasneci, 2022, "A Consistent and
 * Efficient Evaluation Strategy for Attribution Methods", ICML; §4): removed pixels are not set to a
 * constant — on MNIST, whose background is already 0, zero-filling would keep the digit's shape in the
 * mask itself — but to the values their surroundings predict, so the removal carries little shape.
 *
 * Every removed pixel i becomes the weighted mean of its 8 neighbours (those inside the image), with the
 * paper's weights w = 1/6 for the 4 direct and 1/12 for the 4 diagonal neighbours:
 *
 *   Σ_{n ∈ N(i)} w_in (x_i − x_n) = 0     for every removed i,
 *
 * where known neighbours are boundary values. Over the removed pixels this is A x = b with
 * A_ii = Σ_n w_in, A_ij = −w_ij (j removed), b_i = Σ_{n known} w_in x_n: a Dirichlet graph Laplacian,
 * symmetric and positive definite as long as one pixel is known. It is solved jointly by conjugate gradients
 * (Hestenes & Stiefel, 1952) from x = 0 until ‖r‖₂ ≤ 10⁻⁶ ‖b‖₂ (at most 2·|removed| iterations). When every
 * pixel is removed there is nothing to impute from and b = 0: the imputation is 0, the background. Then
 * Gaussian noise N(0, σ²) is added to the imputed pixels only (σ = 0.01 as in the paper's code; seeded), and
 * known pixels are untouched. A linear ramp is a fixed point of the neighbour mean wherever all 8
 * neighbours exist (the weights are symmetric), so with σ = 0 a ramp whose removed pixels are interior
 * is reproduced exactly.
 */
import { checkBackend, checkBytes, checkFloats, checkFunction, checkNumber, checkNumbers, checkOptions, checkRandom } from '../argument-checks.js';
import { XcnnError } from '../errors.js';
import type { Backend, ImputationStencil } from '../backend/backend.js';
import type { Random } from '../random.js';

export interface RoadImputationOptions {
  sigma: number; // the noise's standard deviation, pixels being in [0, 1] (0.01)
  tolerance: number; // conjugate gradients stop at ‖r‖₂ ≤ tolerance · ‖b‖₂ (1e-6)
}

export const ROAD_DEFAULTS: RoadImputationOptions = { sigma: 0.01, tolerance: 1e-6 };

const DIRECT = 1 / 6;
const DIAGONAL = 1 / 12;
/** The 8 neighbours as [dy, dx, weight]. */
const NEIGHBOURS: ReadonlyArray<readonly [number, number, number]> = [
  [-1, 0, DIRECT], [1, 0, DIRECT], [0, -1, DIRECT], [0, 1, DIRECT],
  [-1, -1, DIAGONAL], [-1, 1, DIAGONAL], [1, -1, DIAGONAL], [1, 1, DIAGONAL],
];
/** The same, as flat arrays for the setup's inner loop. */
const NEIGHBOUR_DY = Int32Array.from(NEIGHBOURS, ([dy]) => dy);
const NEIGHBOUR_DX = Int32Array.from(NEIGHBOURS, ([, dx]) => dx);
const NEIGHBOUR_WEIGHT = Float64Array.from(NEIGHBOURS, ([, , w]) => w);

const WHAT = 'noisyLinearImputation';

function refuse(message: string): XcnnError {
  return new XcnnError(`${WHAT}: ${message}`, { code: 'ERR_BAD_ARGUMENT' });
}

/**
 * Each argument's kind, the size, the arrays' lengths against it and the options' ranges, before any work:
 * a short `removed` would leave pixels neither copied nor imputed, and a negative σ or a NaN tolerance
 * would give noise or a solve that means nothing.
 */
function checkImputationArguments(image: unknown, removed: unknown, height: unknown, width: unknown, random: unknown, options: unknown, out: unknown): void {
  checkNumbers(WHAT, 'image', image);
  checkBytes(WHAT, 'removed', removed);
  checkNumber(WHAT, 'height', height);
  checkNumber(WHAT, 'width', width);
  const [h, w] = [height as number, width as number];
  if (!Number.isSafeInteger(h) || !Number.isSafeInteger(w) || h < 1 || w < 1) throw refuse(`the size ${h} × ${w} is not a whole number of pixels each way; give height and width ≥ 1`);
  const pixels = h * w;
  for (const [name, array] of [['image', image], ['removed', removed]] as const) {
    const { length } = array as ArrayLike<number>;
    if (length !== pixels) throw refuse(`${name} has ${length} values for ${h} × ${w}; give height × width = ${pixels}`);
  }
  checkRandom(WHAT, 'random', random);
  checkOptions(WHAT, options, 'sigma and tolerance');
  const { sigma, tolerance } = { ...ROAD_DEFAULTS, ...(options as Partial<RoadImputationOptions>) };
  if (typeof sigma !== 'number' || !(sigma >= 0) || sigma === Infinity) throw refuse(`options.sigma must be a finite number ≥ 0 (the noise's standard deviation; ${ROAD_DEFAULTS.sigma} by default), not ${sigma}`);
  if (typeof tolerance !== 'number' || !(tolerance >= 0) || tolerance === Infinity) throw refuse(`options.tolerance must be a finite number ≥ 0 (conjugate gradients' relative residual; ${ROAD_DEFAULTS.tolerance} by default), not ${tolerance}`);
  if (out === undefined) return;
  checkFloats(WHAT, 'out', out);
  if ((out as Float32Array).length !== pixels) throw refuse(`out has ${(out as Float32Array).length} values for ${h} × ${w}; give height × width = ${pixels}`);
}

/** Something that solves A x = b for a stencil as conjugateGradients below does: it, or a backend's kernel. */
export type ImputationSolver = (stencil: ImputationStencil, b: Float64Array, tolerance: number, maxIterations: number) => Float64Array;

/** The solver of `backend` where it has one (the wasm backend's kernel: the same numbers), else conjugateGradients. */
export function imputationSolver(backend: Backend): ImputationSolver {
  checkBackend('imputationSolver', 'backend', backend);
  return backend.solveImputation?.bind(backend) ?? conjugateGradients;
}

/**
 * Writes into `out` [height, width] the image [height, width] with the pixels where `removed` is 1
 * imputed (noisy linear imputation); the others copied. `random` draws the noise (unused when σ = 0);
 * `solve` solves the system (imputationSolver(backend) for a backend's kernel: the same numbers).
 */
export function noisyLinearImputation(
  image: ArrayLike<number>,
  removed: Uint8Array,
  height: number,
  width: number,
  random: Random,
  options: Partial<RoadImputationOptions> = {},
  out?: Float32Array | Float64Array,
  solve: ImputationSolver = conjugateGradients,
): Float32Array | Float64Array {
  checkImputationArguments(image, removed, height, width, random, options, out);
  checkFunction(WHAT, 'solve', solve, 'a solver of the imputation system (imputationSolver(backend), or conjugateGradients)');
  out ??= new Float64Array(height * width); // made after the checks: a negative size would throw a RangeError
  const { sigma, tolerance } = { ...ROAD_DEFAULTS, ...options };
  const pixels = height * width;
  let n = 0;
  for (let p = 0; p < pixels; p++) {
    out[p] = image[p];
    if (removed[p]) n++;
  }
  if (n === 0) return out;
  const { stencil, b } = imputationSystem(image, removed, height, width, n);
  const solution = solve(stencil, b, tolerance, 2 * n);
  let k = 0;
  for (let p = 0; p < pixels; p++) {
    if (removed[p]) out[p] = solution[k++] + (sigma > 0 ? sigma * random.gaussian() : 0);
  }
  return out;
}

/**
 * A over the removed pixels as a stencil on the image's grid with a border of one cell (ImputationStencil:
 * unknown k, the k-th removed pixel in increasing index, in cell (y + 1)·(width + 2) + x + 1), and b, the known
 * neighbours' weighted sums — each in NEIGHBOURS' order, as the equations are written above. Known pixels and
 * the border hold 0 in every vector the solver spreads on the grid, so their −w·0 terms leave a row's sum as
 * it is: a pixel's neighbours need no list, and every row is the same 9 terms.
 */
function imputationSystem(image: ArrayLike<number>, removed: Uint8Array, height: number, width: number, n: number): { stencil: ImputationStencil; b: Float64Array } {
  const stride = width + 2;
  const cells = new Int32Array(n);
  const diagonal = new Float64Array(n);
  const b = new Float64Array(n);
  let k = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!removed[y * width + x]) continue;
      cells[k] = (y + 1) * stride + x + 1;
      // in NEIGHBOURS' order, as the solver's row sums run
      for (let slot = 0; slot < 8; slot++) {
        const ny = y + NEIGHBOUR_DY[slot];
        const nx = x + NEIGHBOUR_DX[slot];
        if (ny < 0 || ny >= height || nx < 0 || nx >= width) continue;
        const w = NEIGHBOUR_WEIGHT[slot];
        diagonal[k] += w;
        const q = ny * width + nx;
        if (!removed[q]) b[k] += w * image[q];
      }
      k++;
    }
  }
  return { stencil: { stride, cells, diagonal }, b };
}

/**
 * x with A x = b for A the stencil (symmetric positive (semi)definite), by conjugate gradients from
 * x = 0 until ‖r‖₂ ≤ tolerance · ‖b‖₂ or `maxIterations`; b = 0 gives x = 0. The search direction p lives on
 * the grid (0 off the unknowns), so A p is the fixed 9-term stencil of each unknown's cell; x, r and A p are
 * in the unknowns' order, and every sum runs in the order it would over A in compressed rows (row by row, each
 * row's neighbours in NEIGHBOURS' order). ROAD runs this 2·(K + 1) times an image and order (58 at 28 steps):
 * the bulk of the faithfulness curves' time, which the wasm backend's kernel (assembly/road-imputation.ts) cuts.
 */
export function conjugateGradients(stencil: ImputationStencil, b: Float64Array, tolerance: number, maxIterations: number): Float64Array {
  const { stride, cells, diagonal } = stencil;
  const n = b.length;
  const x = new Float64Array(n);
  const r = Float64Array.from(b);
  const ap = new Float64Array(n);
  let lastCell = 0;
  for (let k = 0; k < n; k++) lastCell = Math.max(lastCell, cells[k]);
  const p = new Float64Array(lastCell + stride + 2); // the grid, up to the last unknown's lower right neighbour
  for (let k = 0; k < n; k++) p[cells[k]] = b[k];
  // the 8 neighbours' cell offsets, in NEIGHBOURS' order
  const [up, down, left, right] = [-stride, stride, -1, 1];
  const [upLeft, upRight, downLeft, downRight] = [-stride - 1, -stride + 1, stride - 1, stride + 1];
  const bNorm = Math.sqrt(dot(b, b));
  const stop = tolerance * bNorm;
  let rr = bNorm * bNorm;
  for (let iteration = 0; iteration < maxIterations && Math.sqrt(rr) > stop; iteration++) {
    let pap = 0;
    for (let k = 0; k < n; k++) {
      const c = cells[k];
      const pk = p[c];
      let sum = diagonal[k] * pk;
      sum -= DIRECT * p[c + up];
      sum -= DIRECT * p[c + down];
      sum -= DIRECT * p[c + left];
      sum -= DIRECT * p[c + right];
      sum -= DIAGONAL * p[c + upLeft];
      sum -= DIAGONAL * p[c + upRight];
      sum -= DIAGONAL * p[c + downLeft];
      sum -= DIAGONAL * p[c + downRight];
      ap[k] = sum;
      pap += pk * sum;
    }
    if (!(pap > 0)) break; // a semidefinite direction: nothing more to gain
    const alpha = rr / pap;
    let next = 0;
    for (let k = 0; k < n; k++) {
      const rk = r[k] - alpha * ap[k];
      r[k] = rk;
      next += rk * rk;
    }
    const beta = next / rr;
    rr = next;
    // x moves along p before p turns: each element's own update, so the same numbers as moving x in the loop above
    for (let k = 0; k < n; k++) {
      const c = cells[k];
      const pk = p[c];
      x[k] += alpha * pk;
      p[c] = r[k] + beta * pk;
    }
  }
  return x;
}


function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += a[k] * b[k];
  return sum;
}
