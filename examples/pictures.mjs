// examples/pictures.mjs — a Grad-CAM heatmap and overlay as PNG files, and the report page, from code.
import { writeFileSync } from 'node:fs';
import { createWasmBackend, gradCam, heatmapToPng, loadDataset, loadModel, modelReport, overlayToPng, takeFirst } from 'xcnn';

const backend = await createWasmBackend();
const model = loadModel('model.safetensors', backend);
const test = takeFirst(loadDataset().test, 1000);

const cam = gradCam(model.network, test, { indices: [0] }); // cam.heatmaps: [1, 28, 28] in [0, 1]
const digit = test.images.subarray(0, 28 * 28);
writeFileSync('heatmap.png', heatmapToPng(cam.heatmaps, { width: 28, height: 28, scale: 8 }));
writeFileSync('overlay.png', overlayToPng(digit, cam.heatmaps, { width: 28, height: 28, scale: 8, colormap: 'viridis' }));

const report = modelReport(model, test, { title: 'model.safetensors' }); // what `xcnn report` writes, on these images
writeFileSync('report.html', report.html);
writeFileSync('confusion.png', report.figures.confusion);
console.log(`wrote heatmap.png, overlay.png, confusion.png and report.html (accuracy ${(100 * report.evaluation.accuracy).toFixed(2)}%)`);
