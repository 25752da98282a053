// examples/explain.mjs — Grad-CAM of two test images, drawn as text (brighter = more evidence).
import { readFile } from 'node:fs/promises';
import { createWasmBackend, gradCam, loadDataset, loadModelFromBytes } from 'xcnn';

const backend = await createWasmBackend();
const { network, info } = loadModelFromBytes(await readFile('model.safetensors'), backend);
const cam = gradCam(network, loadDataset().test, { indices: [0, 1] }); // or { targetClass: 7 }

const shades = ' .:-=+*#%@';
for (let n = 0; n < cam.count; n++) {
  console.log(`test image ${cam.indices[n]}: predicted ${info.classNames[cam.predicted[n]]}, explaining ${info.classNames[cam.targets[n]]}`);
  for (let y = 0; y < cam.height; y += 2) {
    let row = '';
    for (let x = 0; x < cam.width; x++) row += shades[Math.min(9, Math.floor(10 * cam.heatmaps[(n * cam.height + y) * cam.width + x]))];
    console.log(row);
  }
}
