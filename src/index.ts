/**
 * xcnn as a library: the browser-safe core. Nothing here (nor anything it imports) touches Node's
 * modules, so a bundler can take it into a web page; the Node glue (files, the kernels on disk, worker
 * threads) is `xcnn`'s Node entry, src/node.ts, which re-exports all of this besides.
 *
 * A typical use: `createWasmBackendFromBytes(await (await fetch('kernels.wasm')).arrayBuffer())`, then
 * `loadModelFromBytes(modelBytes, backend)` → `predictImages`, `gradCam`, `evaluate`; or
 * `createPaperNetwork` → `train`.
 */
export { XcnnError } from './errors.js';
export { Random, type RandomState } from './random.js';

// Data: image sets over bytes, and the IDX format's parser.
export { FASHION_MNIST_CLASS_NAMES, imagesFromPixels, MNIST_CLASS_NAMES, takeFirst, type Dataset, type ImageSet, type TestData } from './data/dataset.js';
export { parseIdx, type IdxArray } from './data/idx.js';

// Model: the paper's network and its file format (bytes in, bytes out).
export { createNetwork, createPaperNetwork, geometryOf, MNIST_GEOMETRY, Network, PAPER_WIDTHS, type NetworkArenas, type NetworkGeometry, type PaperWidths } from './model/network.js';
export { explainableLayers, formatPlan, formatSpec, paperSpec, parseSpec, planNetwork, PRESETS, receptiveField, resolveSpec, type LayerKind, type LayerSpec, type NetworkPlan, type PlannedLayer, type ReceptiveField } from './model/spec.js';
export { EVALUATION, trainingPass, type PassMode } from './model/layer.js';
export { decodeModel, encodeModel, loadModelFromBytes, TENSOR_NAMES, type LoadedModel, type ModelInfo } from './model/model-file.js';

// Backends: the TypeScript reference and the WebAssembly SIMD kernels (from their bytes).
export type { Backend, BackendName, Floats } from './backend/backend.js';
export { ReferenceBackend } from './backend/reference/index.js';
export {
  attachWasmBackend,
  createWasmBackendFromBytes,
  WasmBackend,
  type KernelBuild,
  type SharedKernels,
  type WasmBackendOptions,
} from './backend/wasm/wasm-backend.js';
export type { MemoryStats } from './backend/wasm/arena.js';
export type { Workspace } from './model/workspace.js';

// Training.
export { Adam, ADAM_DEFAULTS, type AdamSettings } from './train/adam.js';
export { createTrainingState, train, type EpochRecord, type Progress, type TrainingState, type TrainOptions } from './train/trainer.js';

// Evaluation.
export { predict, predictImages, type BatchPredictor, type Predictions } from './eval/predict.js';
export { evaluate, evaluationOf, type Evaluation } from './eval/evaluate.js';
export { classificationReport, confusionMatrix, type ClassificationReport, type ClassScores, type ConfusionMatrix } from './eval/metrics.js';
export { formatClassificationReport, formatConfusionMatrix } from './eval/format.js';

// Explanation.
export { gradCam, gradCamImage, type GradCam, type GradCamImage, type GradCamOptions } from './explain/grad-cam.js';
export { explainImages, needsConvLayer, type ExplanationMethod, type ExplainOptions, type MethodExplanation, type MethodNeed } from './explain/methods/explain.js';
export { camLayerOf, explainedLayer, explainableLayersOf, formatExplainableLayers, type ExplainableLayer } from './explain/explained-layer.js';
export { explanationImage, heatmapFromMap, minMaxNormalize, zeroCentred, type Explanation, type ExplanationImage } from './explain/explanation.js';
export { METHOD_NAMES, methodByName, type MethodName, type MethodOptions } from './explain/methods/by-name.js';
export { kernelShap, kernelShapMethod, lime, limeMethod, occlusionMethod, type CoalitionValue, type OcclusionOptions, type PatchSamplingOptions } from './explain/methods/perturbation.js';
export { explainForTargets, type TargetedExplainOptions } from './explain/explain-for-targets.js';
export { classMeanHeatmaps, classMeanImages, explainClassMeans, trueClassesOf, type ClassMeans, type ClassMeansOptions, type ExplainedClassMeans } from './explain/class-means.js';
export {
  confusionCellExplanations,
  confusionCells,
  type ConfusionCell,
  type ConfusionCellExplanations,
  type ConfusionCellOptions,
  type ExplainedCell,
  type ExplainedMistake,
} from './explain/confusion-cells.js';
export { eigenCamMap, eigenCamMethod } from './explain/methods/eigen-cam.js';
export { scoreCamMethod, scoreCamWeights } from './explain/methods/score-cam.js';
export { guidedBackpropMethod, guidedGradCamMethod, guidedGradients, type GuidedGradients } from './explain/methods/guided.js';
export { placeMap, PLACEMENTS, receptiveFieldCentre, type Placement } from './explain/placement.js';

// Faithfulness of the explanations: deletion/insertion (zero and ROAD), randomisation, pointing game, ranking.
export { areaUnderCurve, attributionOrder, curveFractions, networkClassifier, perturbationCurves, randomOrder, type CurveRequest, type ImageClassifier, type ImageCurves } from './faithfulness/deletion-insertion.js';
export { noisyLinearImputation, ROAD_DEFAULTS, type RoadImputationOptions } from './faithfulness/road-imputation.js';
export { averageRanks, pearsonCorrelation, spearmanCorrelation } from './faithfulness/rank-correlation.js';
export { ssim, SSIM_DEFAULTS, type SsimOptions } from './faithfulness/ssim.js';
export { pointingGame, pointingGameOutcome, type PointingGameOptions, type PointingGameScore } from './faithfulness/pointing-game.js';
export { cascadingRandomisation, layersTopDown, reinitialiseLayer, withParametersRestored, type RandomisationResult } from './faithfulness/randomisation.js';
export { measureFaithfulness, rankMethods, FAITHFULNESS_DEFAULTS, type FaithfulnessOptions, type FaithfulnessResult, type MethodFaithfulness } from './faithfulness/faithfulness.js';
export { faithfulnessJson, formatFaithfulness } from './faithfulness/format.js';

// A picture of a digit (RGBA pixels, e.g. a canvas's) made into an MNIST-style 28 × 28 image, as `xcnn explain --image` does.
export { greyFromRgba, mnistDigit, MNIST_BOX, MNIST_SIZE, type DigitImage, type GreyImage } from './explain/mnist-digit.js';
// A picture made into the input of any other model: its channels (grey or RGB), resized to its size.
export { modelImageFromRgba } from './explain/model-image.js';
