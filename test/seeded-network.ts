/** A network built from a spec and initialised from a seed, for the tests that compare two passes of twin networks. */
import type { Backend } from '../src/backend/backend.js';
import { createNetwork, type Network } from '../src/model/network.js';
import { Random } from '../src/random.js';

export const MNIST = { channels: 1, height: 28, width: 28, classes: 10 };

/** `spec` on `backend` for `geometry` (MNIST's by default), its parameters drawn from `seed`. */
export function seededNetwork(backend: Backend, spec: string, geometry = MNIST, seed = 1): Network {
  const net = createNetwork(backend, spec, geometry);
  net.initialize(new Random(seed));
  return net;
}
