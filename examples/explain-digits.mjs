// examples/explain-digits.mjs — SmoothGrad of two test digits for the class 3, with a progress line and a time limit, drawn as text.
import { loadClassifier, loadDataset } from 'xcnn';

const model = await loadClassifier();
try {
  const { test } = loadDataset();
  const images = { data: test.images.subarray(0, 2 * 28 * 28), shape: [2, 1, 28, 28] };
  const explanations = await model.explain(images, {
    method: 'smoothgrad', // any of xcnn explain --method's names; seeded methods give the same maps on every call
    targets: 3, // or one class per image, [3, 7]; left out: each image's predicted class
    signal: AbortSignal.timeout(60_000), // stop, rejecting with an AbortError, if it takes longer
    onProgress: ({ done, total }) => process.stderr.write(`\r${done}/${total} images`),
  });
  const shades = ' .:-=+*#%@';
  for (const { className, targetName, heatmap } of explanations) {
    console.log(`\npredicted ${className}, explaining ${targetName}:`);
    for (let y = 0; y < 28; y += 2) {
      console.log(Array.from(heatmap.subarray(y * 28, (y + 1) * 28), (v) => shades[Math.min(9, Math.floor(10 * v))]).join(''));
    }
  }
} finally {
  await model.close();
}
