/**
 * xcnn as a library: the browser-safe core. Nothing here (nor anything it imports) touches Node's
 * modules, so a bundler can take it into a web page; the Node glue (files, the kernels on disk, worker
 * threads) is `xcnn`'s Node entry, src/node.ts, which re-exports all of this besides.
 *
 * A typical use in a web page: `createWasmBackendFromUrl()` (the kernels found by the bundler, src/assets.ts),
 * `loadShippedModel(backend)` or `loadModelFromBytes(modelBytes, backend)` → `predictImages`, `gradCam`,
 * `evaluate`, and the pictures (`heatmapToPng`, `overlayToPng`, `modelReport`); or `createPaperNetwork` → `train`.
 */
export { ERROR_CODES, XcnnError, type XcnnErrorCode } from './errors.js';
export { Random, type RandomState } from './random.js';

// Data: image sets over bytes, and the IDX format's parser.
export { FASHION_MNIST_CLASS_NAMES, imagesFromPixels, MAX_CLASSES, MNIST_CLASS_NAMES, takeFirst, type Dataset, type ImageSet, type Labels, type TestData } from './data/dataset.js';
export { parseIdx, type IdxArray } from './data/idx.js';
// Data sets built in code (createDataset) and the splits every data set can take; image folders' summary line.
export { createDataset, type DatasetArrays, type ImageArrays } from './data/dataset-arrays.js';
export { selectImages, splitValidation, stratifiedHoldOut, type HoldOut } from './data/split.js';
export { formatFolderSummary, type FolderFile, type FolderSummary } from './data/image-folder.js';
export { pictureToInput, type ConversionSteps, type InputConversion, type Preprocess } from './data/picture-input.js';
export { readPictureHeader, type PictureFormat, type PictureHeader } from './data/picture-header.js';

// Model: the paper's network and its file format (bytes in, bytes out).
export { createNetwork, createPaperNetwork, geometryOf, MNIST_GEOMETRY, Network, PAPER_WIDTHS, type NetworkArenas, type NetworkGeometry, type PaperWidths } from './model/network.js';
export { explainableLayers, formatPlan, formatSpec, paperSpec, parseSpec, planNetwork, PRESETS, receptiveField, resolveSpec, type LayerKind, type LayerSpec, type NetworkPlan, type PlannedLayer, type ReceptiveField } from './model/spec.js';
export { EVALUATION, trainingPass, type PassMode } from './model/layer.js';
export { decodeModel, encodeModel, loadModelFromBytes, TENSOR_NAMES, type LoadedModel, type ModelInfo } from './model/model-file.js';

// Backends: the TypeScript reference and the WebAssembly SIMD kernels (from their bytes).
export type { Backend, BackendName, Floats, ImputationStencil } from './backend/backend.js';
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

// The package's files in a web page: the kernels and the shipped model, found next to the package's modules (bundlers copy them).
export { createWasmBackendFromUrl, loadShippedModel, shippedAssetUrls, supportsRelaxedSimd, type KernelUrlOptions, type ShippedAssetUrls } from './assets.js';

// Training, and checkpoints as bytes (resume bit for bit with restoreCheckpoint → train).
export { Adam, ADAM_DEFAULTS, type AdamSettings } from './train/adam.js';
export { createTrainingState, train, type EpochRecord, type Progress, type TrainingState, type TrainOptions } from './train/trainer.js';
export type { TrainSettings } from './train/settings.js';
export {
  CHECKPOINT_FILE,
  checkpointSettings,
  decodeCheckpoint,
  encodeCheckpoint,
  restoreCheckpoint,
  type CheckpointFile,
  type CheckpointProgress,
  type LoadedCheckpoint,
} from './train/checkpoint-format.js';

// Evaluation.
export { predict, predictImages, type BatchPredictor, type Predictions } from './eval/predict.js';
export { evaluate, evaluationJson, evaluationOf, type Evaluation } from './eval/evaluate.js';
export { classificationReport, confusionMatrix, type ClassificationReport, type ClassScores, type ConfusionMatrix } from './eval/metrics.js';
export { formatClassificationReport, formatConfusionMatrix } from './eval/format.js';

// Explanation.
export { gradCam, gradCamImage, type GradCam, type GradCamImage, type GradCamOptions } from './explain/grad-cam.js';
export { explainImages, needsConvLayer, type ExplanationMethod, type ExplainOptions, type MethodExplanation, type MethodNeed } from './explain/methods/explain.js';
export { camLayerOf, explainedLayer, explainableLayersOf, formatExplainableLayers, type ExplainableLayer } from './explain/explained-layer.js';
export { explanationImage, heatmapFromMap, isFlatMap, minMaxNormalize, zeroCentred, type Explanation, type ExplanationImage } from './explain/explanation.js';
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
export { imputationSolver, noisyLinearImputation, ROAD_DEFAULTS, type ImputationSolver, type RoadImputationOptions } from './faithfulness/road-imputation.js';
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

// Pictures: heatmaps, overlays and every figure of the command line as PNG bytes (a PNG writer of its own,
// no canvas, no zlib), the colormaps, and the report page.
export {
  classGalleryPng,
  classMeansPng,
  confusionCellsPng,
  confusionMatrixPng,
  explanationToPng,
  heatmapToPng,
  methodsComparisonPng,
  overlayToPng,
  rasterToPng,
  tileGalleryPng,
  trainingCurvesPng,
  type ColormapChoice,
  type ConfusionCellPanel,
  type ConfusionCellRow,
  type EpochMetrics,
  type ExplainedImage,
  type ExplanationPictureOptions,
  type GalleryPictureOptions,
  type GalleryTile,
  type MapPictureOptions,
  type MethodsFigureRow,
  type OverlayPictureOptions,
} from './render/pictures.js';
export { colormap, colormapNames, coolwarm, divergingColormap, jet, viridis, type Colormap, type ColormapName, type DivergingColormapName } from './render/colormap.js';
export { encodeRgbaPng, type PngEncodeOptions } from './render/png-encoder.js';
export { Raster, type Rgb } from './render/raster.js';
export { modelReport, MODEL_REPORT_DEFAULTS, type ModelReport, type ModelReportOptions } from './report/model-report.js';
export { reportHtml, type ClassSummaryContent, type ReportContent, type ReportFigure } from './report/report-html.js';

// One object for a trained model: load, then predict, explain and evaluate with async calls (classifier.ts).
export {
  Classifier,
  createClassifier,
  loadClassifier,
  type CallOptions,
  type ClassifierExplainOptions,
  type ClassifierInfo,
  type ClassifierOptions,
  type ImageExplanation,
  type Images,
  type ImageTensor,
  type LabelledImages,
  type Prediction,
  type RgbaImage,
  type StepProgress,
} from './classifier.js';
export { trainClassifier, type TrainClassifierOptions, type TrainingProgress } from './classifier-training.js';

// Gradient checking, as torch.autograd.gradcheck: a network's (or your own function's) backward against finite differences, and a backend against the reference.
export {
  checkGradient,
  compareWithReference,
  gradcheck,
  type BackendComparison,
  type CheckGradientOptions,
  type CompareWithReferenceOptions,
  type GradcheckOptions,
  type GradcheckReport,
  type NetworkToCheck,
  type TensorCheck,
  type TensorDifference,
  type Tolerance,
} from './gradcheck.js';
