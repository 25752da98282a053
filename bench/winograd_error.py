"""
How far float32 Winograd convolutions land from the exact sum, on the network's 3x3 shapes: the direct
convolution, F(2x2, 3x3) (what assembly/winograd.ts runs) and F(4x4, 3x3) (Lavin and Gray's larger tile, 1.78x
fewer multiplies again), each computed in float32 with numpy and compared with the direct sum in float64.
A planning tool for the next Winograd step, not a test of xcnn's kernels (test/wasm-winograd.test.ts bounds those).

    python3 bench/winograd_error.py      (numpy only: Debian's python3-numpy)

Inputs as the layer sees them: non-negative activations (after a ReLU and a pool), uniform in [0, 1), and
He-initialised weights (normal, variance 2 / (C*9)); seed 0. Prints, per shape and algorithm, the largest
error as a fraction of the largest output (|y| max) and the mean error.
"""
import numpy as np

# (name, C, F, H (square input), padding)
SHAPES = [("paper conv2, 32 -> 64 on 13x13", 32, 64, 13, 0), ("modern conv3, 32 -> 64 on 14x14, padding 1", 32, 64, 14, 1)]

MATRICES = {
    2: (
        [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
        [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
        [[1, 1, 1, 0], [0, 1, -1, -1]],
    ),
    4: (
        [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
        [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6], [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]],
        [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]],
    ),
}


def direct(x, w, dtype):
    C, H, _ = x.shape
    F = w.shape[0]
    out_size = H - 2
    out = np.zeros((F, out_size, out_size), dtype)
    for ky in range(3):
        for kx in range(3):
            out += np.einsum("fc,cyx->fyx", w[:, :, ky, kx].astype(dtype), x[:, ky : ky + out_size, kx : kx + out_size].astype(dtype)).astype(dtype)
    return out


def winograd(x, w, m):
    """F(m x m, 3 x 3) in float32: V = B^T d B per tile, U = G g G^T, M = sum_c U (.) V, Y = A^T M A."""
    BT, G, AT = (np.array(a, np.float32) for a in MATRICES[m])
    C, H, _ = x.shape
    F = w.shape[0]
    out_size = H - 2
    tiles = -(-out_size // m)
    side = tiles * m + 2
    padded = np.zeros((C, side, side), np.float32)
    padded[:, :H, :H] = x
    U = np.einsum("ij,fcjk,lk->fcil", G, w, G).astype(np.float32)
    out = np.zeros((F, tiles * m, tiles * m), np.float32)
    for ty in range(tiles):
        for tx in range(tiles):
            d = padded[:, ty * m : ty * m + m + 2, tx * m : tx * m + m + 2]
            V = np.einsum("ij,cjk,lk->cil", BT, d, BT).astype(np.float32)
            M = np.einsum("fcij,cij->fij", U, V).astype(np.float32)
            out[:, ty * m : ty * m + m, tx * m : tx * m + m] = np.einsum("ij,fjk,lk->fil", AT, M, AT).astype(np.float32)
    return out[:, :out_size, :out_size]


def main():
    rng = np.random.default_rng(0)
    for name, C, F, H, padding in SHAPES:
        x = np.zeros((C, H + 2 * padding, H + 2 * padding), np.float32)
        x[:, padding : padding + H, padding : padding + H] = rng.random((C, H, H), dtype=np.float32)
        w = (rng.standard_normal((F, C, 3, 3)) * np.sqrt(2 / (C * 9))).astype(np.float32)
        exact = direct(x, w, np.float64)
        scale = np.abs(exact).max()
        print(f"{name} (largest |y| {scale:.3g}):")
        for label, out in [("direct, float32", direct(x, w, np.float32)), ("F(2x2, 3x3)", winograd(x, w, 2)), ("F(4x4, 3x3)", winograd(x, w, 4))]:
            error = np.abs(out.astype(np.float64) - exact)
            print(f"  {label:16s} largest error {error.max() / scale:.2e} of the largest |y|, mean {error.mean() / scale:.2e}")


if __name__ == "__main__":
    main()
