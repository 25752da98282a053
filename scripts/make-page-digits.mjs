// scripts/make-page-digits.mjs — `npm run page-digits`: writes the MNIST test digits the page shows in its
// row of examples, the first test image of each class (0 to 9), as two small IDX files in data/:
//
//   data/page-digits-images-idx3-ubyte   [10, 28, 28] unsigned bytes
//   data/page-digits-labels-idx1-ubyte   [10] unsigned bytes
//
// IDX as MNIST's own files (magic 0x00 0x00 0x08 ndim, big-endian sizes, then the bytes), so the page
// reads them with the core's parseIdx.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from 'xcnn';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** An IDX file of unsigned bytes with the given dimensions. */
function idxOfBytes(dimensions, data) {
  const header = new DataView(new ArrayBuffer(4 + 4 * dimensions.length));
  header.setUint8(2, 0x08);
  header.setUint8(3, dimensions.length);
  dimensions.forEach((size, k) => header.setUint32(4 + 4 * k, size, false));
  return Buffer.concat([new Uint8Array(header.buffer), data]);
}

const { test } = loadDataset();
const pixels = test.height * test.width;
const indices = [];
for (let digit = 0; digit < 10; digit++) indices.push(test.labels.indexOf(digit));

const images = new Uint8Array(indices.length * pixels);
indices.forEach((index, n) => images.set(test.images.subarray(index * pixels, (index + 1) * pixels), n * pixels));
writeFileSync(join(root, 'data', 'page-digits-images-idx3-ubyte'), idxOfBytes([indices.length, test.height, test.width], images));
writeFileSync(join(root, 'data', 'page-digits-labels-idx1-ubyte'), idxOfBytes([indices.length], Uint8Array.from(indices, (index) => test.labels[index])));
console.log(`wrote data/page-digits-{images-idx3,labels-idx1}-ubyte: MNIST test images ${indices.join(', ')}`);
