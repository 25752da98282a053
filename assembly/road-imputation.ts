/**
 * ROAD's imputation solve (src/faithfulness/road-imputation.ts, where the system and its stencil are explained):
 * x with A x = b by conjugate gradients from x = 0, A the 9-term neighbour stencil of each unknown on the image's
 * grid with a border of one cell. In float64, every operation in the order of the TypeScript solver
 * (conjugateGradients), so x is the same bit for bit: WebAssembly's f64 arithmetic and sqrt are IEEE's, as
 * JavaScript's are, and nothing here is fused or reordered. It is faster only for what it leaves out — the
 * typed arrays' bounds checks on the stencil's nine loads a row.
 *
 * Memory (byte addresses, 8-byte aligned; n unknowns):
 *   cells     i32[n]  each unknown's cell on the grid (row-major, `stride` cells a row)
 *   diagonal  f64[n]  A's diagonal
 *   b         f64[n]
 *   x         f64[n]  the solution, written here
 *   r, ap     f64[n]  scratch
 *   p         f64[gridCells]  the search direction on the grid; zeroed here, then nonzero only at the cells
 * Returns the iterations run.
 */

const DIRECT: f64 = 1.0 / 6.0;
const DIAGONAL: f64 = 1.0 / 12.0;

// @ts-ignore: decorator
@inline
function at(base: usize, k: i32): usize {
  return base + ((<usize>k) << 3);
}

// The cell of unknown k on the grid at p.
// @ts-ignore: decorator
@inline
function cellOf(cells: usize, p: usize, k: i32): usize {
  return p + ((<usize>load<i32>(cells + ((<usize>k) << 2))) << 3);
}

export function stencilConjugateGradients(
  n: i32,
  stride: i32,
  cells: usize,
  diagonal: usize,
  b: usize,
  x: usize,
  r: usize,
  ap: usize,
  p: usize,
  gridCells: i32,
  tolerance: f64,
  maxIterations: i32,
): i32 {
  memory.fill(p, 0, (<usize>gridCells) << 3);
  let bb: f64 = 0;
  for (let k = 0; k < n; k++) {
    const bk = load<f64>(at(b, k));
    bb += bk * bk;
    store<f64>(at(x, k), 0);
    store<f64>(at(r, k), bk);
    store<f64>(cellOf(cells, p, k), bk);
  }
  const bNorm = Math.sqrt(bb);
  const stop = tolerance * bNorm;
  let rr = bNorm * bNorm;
  // the 8 neighbours' byte offsets, in the TypeScript solver's order: up, down, left, right, then the diagonals
  const row = (<usize>stride) << 3;
  let iteration = 0;
  for (; iteration < maxIterations && Math.sqrt(rr) > stop; iteration++) {
    let pap: f64 = 0;
    for (let k = 0; k < n; k++) {
      const c = cellOf(cells, p, k);
      const pk = load<f64>(c);
      let sum = load<f64>(at(diagonal, k)) * pk;
      sum -= DIRECT * load<f64>(c - row);
      sum -= DIRECT * load<f64>(c + row);
      sum -= DIRECT * load<f64>(c - 8);
      sum -= DIRECT * load<f64>(c + 8);
      sum -= DIAGONAL * load<f64>(c - row - 8);
      sum -= DIAGONAL * load<f64>(c - row + 8);
      sum -= DIAGONAL * load<f64>(c + row - 8);
      sum -= DIAGONAL * load<f64>(c + row + 8);
      store<f64>(at(ap, k), sum);
      pap += pk * sum;
    }
    if (!(pap > 0)) break; // a semidefinite direction: nothing more to gain
    const alpha = rr / pap;
    let next: f64 = 0;
    for (let k = 0; k < n; k++) {
      const rk = load<f64>(at(r, k)) - alpha * load<f64>(at(ap, k));
      store<f64>(at(r, k), rk);
      next += rk * rk;
    }
    const beta = next / rr;
    rr = next;
    for (let k = 0; k < n; k++) {
      const c = cellOf(cells, p, k);
      const pk = load<f64>(c);
      store<f64>(at(x, k), load<f64>(at(x, k)) + alpha * pk);
      store<f64>(c, load<f64>(at(r, k)) + beta * pk);
    }
  }
  return iteration;
}
