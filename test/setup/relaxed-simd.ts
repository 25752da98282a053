/**
 * The tests run the kernels the xcnn command runs: it turns on relaxed SIMD for its process first thing
 * (src/cli/main.ts), so every test process does too, before any backend is created. XCNN_WASM_BUILD=simd
 * still picks the plain build. Whether the library alone leaves the flag off is tested in a child process
 * (test/no-side-effects.test.ts), which this setup does not reach.
 */
import { enableRelaxedSimd } from '../../src/backend/wasm/node.js';

enableRelaxedSimd();
