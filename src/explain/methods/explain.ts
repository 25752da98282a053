/**
 * Any explanation method over an image set, batched: the loop every method shares (load a batch, run the
 * method's batch function, softmax and argmax of the logits, resize and normalise each raw map into a
 * heatmap the input's size). A method is the batch function plus its name, the layer its map lives on
 * and that map's shape: the CAM family (cam.ts, and without gradients eigen-cam.ts and score-cam.ts) on
 * relu2, [11, 11], brought to the input's size by the chosen placement (placement.ts: stretched by
 * default, or each cell at its receptive field's centre); the gradient family (input-gradients.ts), the
 * guided methods (guided.ts) and the perturbation family (perturbation.ts) on the input, [28, 28], where
 * the "resize" keeps the size and only normalises. A flat map (all zero, or constant) gives an all-zero
 * heatmap, never NaN.
 *
 * Grad-CAM itself keeps its own driver (`gradCam` in grad-cam.ts), which also reports the channel
 * weights and runs on the thread pool; `grad-cam` here is the same map, on this thread.
 */
import type { Floats } from '../../backend/backend.js';
import { BatchLoader, range } from '../../data/batch.js';
import type { ImageSet } from '../../data/dataset.js';
import { XcnnError } from '../../errors.js';
import { BatchBuffer } from '../../model/layer.js';
import { argmaxRow } from '../../model/loss.js';
import type { Network } from '../../model/network.js';
import { allocateExplanation, camLayerOf, checkInputs, heatmapFromMap, softmaxRow, type Explanation } from '../grad-cam.js';
import type { Placement } from '../placement.js';

/** The rows a batch function writes for its `size` images. */
export interface ExplanationRows {
  logits: Float32Array; // [size, classes] of the images themselves
  targets: Int32Array; // [size] the class each map explains
  maps: Float32Array; // [size, h, w] raw
  completenessGaps: Float32Array; // [size] Integrated Gradients and KernelSHAP only: |Σ attributions − (y_c(x) − y_c(x′))|
}

/**
 * Explains `size` images of a batch (input [size, C, H, W] in the network's backend) for `targetClass`
 * (undefined: each image's predicted class). `dLogits` is [size, classes] scratch in the backend.
 */
export type BatchExplainer = (network: Network, input: Floats, size: number, targetClass: number | undefined, out: ExplanationRows, dLogits: Floats) => void;

export interface ExplanationMethod {
  name: string; // as on the command line: 'grad-cam++'
  title: string; // as in a figure: 'Grad-CAM++'
  layer: 'cam' | 'input'; // where the raw map lives: on the explained conv layer's cells (camLayerOf), or on the input
  mapShape(network: Network): [number, number];
  explainBatch: BatchExplainer;
  reportsCompletenessGap?: boolean;
  classAgnostic?: boolean; // the map does not depend on the target class (Eigen-CAM)
  signed?: boolean; // the map takes both signs: its figures use a diverging colormap centred at zero
}

/** An explanation by a named method; `completenessGaps` [N] for Integrated Gradients and KernelSHAP. */
export interface MethodExplanation extends Explanation {
  method: string;
  layer: string; // the explained layer's name, or 'input'
  placement: Placement; // how the maps were brought to the input's size
  completenessGaps?: Float32Array;
}

export interface ExplainOptions {
  indices?: ArrayLike<number>; // the images of the set to explain, in this order (default: all)
  targetClass?: number; // the class to explain for every image (default: each image's predicted class)
  batchSize?: number; // images per batch (default 64; SmoothGrad and IG make many passes per batch, the perturbation family many per image)
  placement?: Placement; // relu2 maps only: 'stretch' (default) or 'receptive-field' (src/explain/placement.ts)
}

export function explainImages(network: Network, set: ImageSet, method: ExplanationMethod, options: ExplainOptions = {}): MethodExplanation {
  const classes = network.outputShape[0];
  const [mapHeight, mapWidth] = method.mapShape(network);
  const [, height, width] = network.inputShape;
  const indices = Int32Array.from(options.indices ?? range(0, set.count));
  const batchSize = options.batchSize ?? 64;
  checkInputs(set, indices, options.targetClass, classes, height, width, method.title);
  const placement = options.placement ?? 'stretch';
  if (placement !== 'stretch' && method.layer === 'input') {
    throw new XcnnError(`${method.title}: its map is already on the input's ${height} × ${width} pixels; placement '${placement}' is for the CAM family's relu2 maps only`);
  }

  const count = indices.length;
  const mapPixels = mapHeight * mapWidth;
  const pixels = height * width;
  const result: MethodExplanation = {
    method: method.name, layer: method.layer === 'cam' ? camLayerOf(network) : 'input', placement,
    ...allocateExplanation(indices, classes, mapHeight, mapWidth, height, width),
  };
  const gaps = new Float32Array(count);
  if (method.reportsCompletenessGap) result.completenessGaps = gaps;

  const loader = new BatchLoader(network.backend, set);
  const dLogits = BatchBuffer.floats(network.backend, classes);
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(start + batchSize, count);
    const batch = loader.load(indices.subarray(start, end));
    method.explainBatch(network, batch.input, batch.size, options.targetClass, {
      logits: result.logits.subarray(start * classes, end * classes),
      targets: result.targets.subarray(start, end),
      maps: result.maps.subarray(start * mapPixels, end * mapPixels),
      completenessGaps: gaps.subarray(start, end),
    }, dLogits.forBatch(batch.size));
    for (let n = start; n < end; n++) {
      softmaxRow(result.logits, n, classes, result.probabilities.subarray(n * classes, (n + 1) * classes));
      result.predicted[n] = argmaxRow(result.logits, n, classes);
      const map = result.maps.subarray(n * mapPixels, (n + 1) * mapPixels);
      result.heatmaps.set(heatmapFromMap(map, mapHeight, mapWidth, height, width, placement), n * pixels);
    }
  }
  network.zeroGrad(); // the backward passes accumulated parameter gradients; leave none behind
  return result;
}
