/**
 * Every public function checks the kind of each argument before any work: a wrong one — a string where a
 * network goes, an ArrayBuffer where bytes go, nothing at all — is an XcnnError with code ERR_BAD_ARGUMENT
 * whose message names the function, the argument and what it takes (src/argument-checks.ts), never a
 * TypeError from deep inside. One row per function: the call, and the message it must give.
 */
import { describe, expect, it } from 'vitest';
import { createWasmBackendFromUrl } from '../src/assets.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { attachWasmBackend } from '../src/backend/wasm/wasm-backend.js';
import { classifierOf } from '../src/classifier-node.js';
import { Classifier, createClassifier } from '../src/classifier.js';
import { takeFirst } from '../src/data/dataset.js';
import { parseIdx } from '../src/data/idx.js';
import { formatFolderSummary } from '../src/data/image-folder.js';
import { listPictureFiles } from '../src/data/picture-files.js';
import { readPictureHeader } from '../src/data/picture-header.js';
import { pictureToInput } from '../src/data/picture-input.js';
import { selectImages, splitValidation, stratifiedHoldOut } from '../src/data/split.js';
import { evaluate, evaluationJson, evaluationOf } from '../src/eval/evaluate.js';
import { formatClassificationReport, formatConfusionMatrix } from '../src/eval/format.js';
import { classificationReport, confusionMatrix } from '../src/eval/metrics.js';
import { predict, predictImages } from '../src/eval/predict.js';
import { classMeanHeatmaps, classMeanImages, explainClassMeans, trueClassesOf } from '../src/explain/class-means.js';
import { confusionCellExplanations, confusionCells } from '../src/explain/confusion-cells.js';
import { digitFromPng } from '../src/explain/digit-image.js';
import { explainForTargets } from '../src/explain/explain-for-targets.js';
import { camLayerOf, explainableLayersOf, explainedLayer, formatExplainableLayers } from '../src/explain/explained-layer.js';
import { explanationImage, heatmapFromMap, isFlatMap, minMaxNormalize, zeroCentred } from '../src/explain/explanation.js';
import { gradCam } from '../src/explain/grad-cam.js';
import { methodByName } from '../src/explain/methods/by-name.js';
import { eigenCamMap } from '../src/explain/methods/eigen-cam.js';
import { explainImages, needsConvLayer } from '../src/explain/methods/explain.js';
import { guidedGradients } from '../src/explain/methods/guided.js';
import { kernelShap, lime } from '../src/explain/methods/perturbation.js';
import { scoreCamWeights } from '../src/explain/methods/score-cam.js';
import { mnistDigit } from '../src/explain/mnist-digit.js';
import { receptiveFieldCentre } from '../src/explain/placement.js';
import { areaUnderCurve, attributionOrder, networkClassifier, perturbationCurves, randomOrder } from '../src/faithfulness/deletion-insertion.js';
import { measureFaithfulness, rankMethods } from '../src/faithfulness/faithfulness.js';
import { faithfulnessJson, formatFaithfulness } from '../src/faithfulness/format.js';
import { pointingGame } from '../src/faithfulness/pointing-game.js';
import { cascadingRandomisation, layersTopDown, reinitialiseLayer, withParametersRestored } from '../src/faithfulness/randomisation.js';
import { averageRanks, pearsonCorrelation, spearmanCorrelation } from '../src/faithfulness/rank-correlation.js';
import { ssim } from '../src/faithfulness/ssim.js';
import { compareWithReference, gradcheck } from '../src/gradcheck.js';
import { decodeModel, encodeModel, loadModelFromBytes } from '../src/model/model-file.js';
import { loadShippedModel, saveModel } from '../src/model/model-io.js';
import { createNetwork, createPaperNetwork, geometryOf, MNIST_GEOMETRY } from '../src/model/network.js';
import { explainableLayers, formatPlan, formatSpec, planNetwork, receptiveField, resolveSpec } from '../src/model/spec.js';
import { decodeAnyModel, decodeOnnxModel, encodeOnnxModel, isOnnxModel } from '../src/onnx/index.js';
import { ThreadPool } from '../src/parallel/thread-pool.js';
import { Random } from '../src/random.js';
import {
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
} from '../src/render/pictures.js';
import { modelReport } from '../src/report/model-report.js';
import { reportHtml } from '../src/report/report-html.js';
import { Adam } from '../src/train/adam.js';
import { checkpointSettings, decodeCheckpoint, encodeCheckpoint, restoreCheckpoint } from '../src/train/checkpoint-format.js';
import { saveCheckpoint } from '../src/train/checkpoint.js';
import { createTrainingState, train } from '../src/train/trainer.js';
import { Network } from '../src/model/network.js';
import { WasmBackend } from '../src/backend/wasm/wasm-backend.js';
import { Raster } from '../src/render/raster.js';
import { encodeRgbaPng } from '../src/render/png-encoder.js';
import { imagesFromPixels } from '../src/data/dataset.js';
import { readImageSet, loadDataset, loadTestData } from '../src/data/dataset-files.js';
import { readIdxFile } from '../src/data/idx-files.js';
import { readPicture } from '../src/data/picture-files.js';
import { isImageFolder, loadImageFolder, loadImageFolderTest } from '../src/data/image-folder-files.js';
import { readModelFile } from '../src/model/model-io.js';
import { loadModel } from '../src/onnx/load-model.js';
import { readOnnxNetwork } from '../src/onnx/onnx-import.js';
import { loadCheckpoint, readCheckpoint } from '../src/train/checkpoint.js';
import { curveFractions } from '../src/faithfulness/deletion-insertion.js';
import { noisyLinearImputation } from '../src/faithfulness/road-imputation.js';
import { pointingGameOutcome } from '../src/faithfulness/pointing-game.js';
import { paperSpec } from '../src/model/spec.js';
import { trainingPass } from '../src/model/layer.js';
import { createWasmBackendFromBytes } from '../src/backend/wasm/wasm-backend.js';
import { buildSpec, randomSpecs, respelled } from '../src/testing/specs.js';
import { datasets, images, imageSets, imageShapes, tensors } from '../src/testing/data.js';
import { camMethod } from '../src/explain/methods/cam.js';
import { eigenCamMethod } from '../src/explain/methods/eigen-cam.js';
import { guidedBackpropMethod, guidedGradCamMethod } from '../src/explain/methods/guided.js';
import { gradientTimesInputMethod, integratedGradientsMethod, saliencyMethod, smoothGradMethod } from '../src/explain/methods/input-gradients.js';
import { kernelShapMethod, limeMethod, occlusionMethod } from '../src/explain/methods/perturbation.js';
import { scoreCamMethod } from '../src/explain/methods/score-cam.js';
import { METHOD_NAMES } from '../src/explain/methods/by-name.js';
import { greyFromRgba } from '../src/explain/mnist-digit.js';
import { modelImageFromRgba } from '../src/explain/model-image.js';
import { placeMap } from '../src/explain/placement.js';
import { coolwarm, jet, viridis } from '../src/render/colormap.js';
import { convOut, poolOut } from '../src/testing/specs.js';
import { errorOf } from './errors.js';
import { NETWORK, OPTIONS, PREDICTIONS, SET } from './fixtures/argument-kinds.js';

const backend = new ReferenceBackend();
const network = createNetwork(backend, 'conv(2,3) relu flatten linear(3)', { channels: 1, height: 5, width: 5, classes: 3 });
const info = { geometry: { channels: 1, height: 5, width: 5, classes: 3 }, dataset: 'test', classNames: ['a', 'b', 'c'] };
const set = { count: 1, height: 5, width: 5, images: new Uint8Array(25), labels: new Uint8Array(1) };
const BYTES = 'a Uint8Array of bytes (wrap an ArrayBuffer in new Uint8Array(…))';
const BACKEND = 'a backend (createWasmBackend, createBackend, new ReferenceBackend())';
const INFO = 'an object (geometry, dataset and classNames, as loadModel gives it)';
const GEOMETRY = 'an object (channels, height, width and classes)';
const NUMBERS = 'an array or a typed array of numbers';
const gradCamMethod = methodByName('grad-cam');

// [function, call, message] — the wrong argument is always the one the message names.
const CASES: Array<[string, () => unknown, string]> = [
  ['predict', () => predict('model' as never, set), 'predict: model must be a network or a thread pool, not string'],
  ['predictImages', () => predictImages(undefined as never, new Uint8Array(25), 1), `predictImages: network must be ${NETWORK}, not undefined`],
  ['evaluate', () => evaluate(null as never, set, info.classNames), 'evaluate: model must be a network or a thread pool, not null'],
  ['encodeModel', () => encodeModel({} as never, info), `encodeModel: network must be ${NETWORK}, not Object`],
  ['encodeModel', () => encodeModel(network, 'info' as never), `encodeModel: info must be ${INFO}, not string`],
  ['decodeModel', () => decodeModel(new ArrayBuffer(8) as never, 'm', backend), `decodeModel: bytes must be ${BYTES}, not ArrayBuffer`],
  ['decodeModel', () => decodeModel(new Uint8Array(8), 'm', 'ts' as never), `decodeModel: backend must be ${BACKEND}, not string`],
  ['loadModelFromBytes', () => loadModelFromBytes([1, 2] as never, backend), `loadModelFromBytes: bytes must be ${BYTES}, not Array`],
  ['loadModelFromBytes', () => loadModelFromBytes(new Uint8Array(8), undefined as never), `loadModelFromBytes: backend must be ${BACKEND}, not undefined`],
  ['decodeCheckpoint', () => decodeCheckpoint('checkpoint.safetensors' as never), `decodeCheckpoint: bytes must be ${BYTES}, not string`],
  ['createNetwork', () => createNetwork('wasm' as never, 'paper', MNIST_GEOMETRY), `createNetwork: backend must be ${BACKEND}, not string`],
  ['createNetwork', () => createNetwork(backend, 'paper', undefined as never), `createNetwork: geometry must be ${GEOMETRY}, not undefined`],
  ['createPaperNetwork', () => createPaperNetwork({} as never), `createPaperNetwork: backend must be ${BACKEND}, not Object`],
  ['createPaperNetwork', () => createPaperNetwork(backend, [28, 28] as never), `createPaperNetwork: geometry must be ${GEOMETRY}, not Array`],
  ['createClassifier', () => createClassifier(42 as never, info), `createClassifier: network must be ${NETWORK}, not number`],
  ['createClassifier', () => createClassifier(network, null as never), `createClassifier: info must be ${INFO}, not null`],
  ['Adam', () => new Adam('network' as never), `Adam: network must be ${NETWORK}, not string`],
  ['heatmapToPng', () => heatmapToPng('map' as never, { width: 1, height: 1 }), 'heatmapToPng: map must be an array or a typed array of numbers, not string'],
  ['heatmapToPng', () => heatmapToPng([0], undefined as never), 'heatmapToPng: options must be an object (width and height at least), not undefined'],
  ['overlayToPng', () => overlayToPng(new DataView(new ArrayBuffer(1)) as never, [0], { width: 1, height: 1 }), 'overlayToPng: image must be an array or a typed array of numbers, not DataView'],
  ['overlayToPng', () => overlayToPng([0], {} as never, { width: 1, height: 1 }), 'overlayToPng: map must be an array or a typed array of numbers, not Object'],
  ['explanationToPng', () => explanationToPng([0], [0], 'big' as never), 'explanationToPng: options must be an object (width and height at least), not string'],
  ['confusionMatrixPng', () => confusionMatrixPng({} as never, ['a']), 'confusionMatrixPng: confusion must be an array of rows of counts, not Object'],
  ['confusionMatrixPng', () => confusionMatrixPng([[1]], 'a' as never), 'confusionMatrixPng: classNames must be an array of strings, not string'],
  ['confusionMatrixPng', () => confusionMatrixPng([7] as never, ['a']), 'confusionMatrixPng: a row of the matrix must be an array or a typed array of numbers, not number'],
  ['trainingCurvesPng', () => trainingCurvesPng({ epochs: 1 } as never), 'trainingCurvesPng: history must be an array of epoch records, not Object'],
  ['classGalleryPng', () => classGalleryPng([[]], undefined as never), 'classGalleryPng: classNames must be an array of strings, not undefined'],
  ['classGalleryPng', () => classGalleryPng([null] as never, ['a']), 'classGalleryPng: a row must be an array of tiles, not null'],
  ['tileGalleryPng', () => tileGalleryPng('tiles' as never), 'tileGalleryPng: tiles must be an array of tiles, not string'],
  ['classMeansPng', () => classMeansPng(undefined as never, ['a']), 'classMeansPng: means must be an object (images and heatmaps, as explainClassMeans gives them), not undefined'],
  ['classMeansPng', () => classMeansPng({ images: {}, heatmaps: 3 } as never, ['a']), 'classMeansPng: means.heatmaps must be an object (a ClassMeans), not number'],
  ['confusionCellsPng', () => confusionCellsPng(new Set() as never), 'confusionCellsPng: panels must be an array of confusion-cell panels, not Set'],
  ['gradCam', () => gradCam('network' as never, set), `gradCam: network must be ${NETWORK}, not string`],
  ['gradCam', () => gradCam(network, null as never), `gradCam: set must be ${SET}, not null`],
  ['gradCam', () => gradCam(network, set, 3 as never), `gradCam: options must be ${OPTIONS}, not number`],
  ['explainImages', () => explainImages(network, set, 'grad-cam' as never), 'explainImages: method must be an explanation method (methodByName), not string'],
  ['explainImages', () => explainImages(network, { images: [] } as never, gradCamMethod), `explainImages: set must be ${SET}, not Object`],
  ['explainForTargets', () => explainForTargets(network, set, gradCamMethod, 0 as never, [0]), `explainForTargets: indices must be ${NUMBERS}, not number`],
  ['explainForTargets', () => explainForTargets(network, set, gradCamMethod, [0], 'a' as never), `explainForTargets: targets must be ${NUMBERS}, not string`],
  ['classMeanHeatmaps', () => classMeanHeatmaps(null as never, [0], 3), 'classMeanHeatmaps: explanation must be an object (count, height, width and heatmaps, as explainForTargets gives it), not null'],
  ['classMeanHeatmaps', () => classMeanHeatmaps({ count: 1, height: 5, width: 5, heatmaps: new Float32Array(25) } as never, undefined as never, 3), `classMeanHeatmaps: classOf must be ${NUMBERS}, not undefined`],
  ['classMeanImages', () => classMeanImages('set' as never, [0], [0], 3), `classMeanImages: set must be ${SET}, not string`],
  ['classMeanImages', () => classMeanImages(set, new Set([0]) as never, [0], 3), `classMeanImages: indices must be ${NUMBERS}, not Set`],
  ['explainClassMeans', () => explainClassMeans(network, set, 7 as never), 'explainClassMeans: method must be an explanation method or its name (methodByName, METHOD_NAMES), not number'],
  ['explainClassMeans', () => explainClassMeans(undefined as never, set), `explainClassMeans: network must be ${NETWORK}, not undefined`],
  ['confusionCells', () => confusionCells('predictions' as never), `confusionCells: predictions must be ${PREDICTIONS}, not string`],
  ['confusionCells', () => confusionCells(new ArrayBuffer(8) as never), `confusionCells: predictions must be ${PREDICTIONS}, not ArrayBuffer`],
  ['confusionCellExplanations', () => confusionCellExplanations(network, set, null as never), `confusionCellExplanations: predictions must be ${PREDICTIONS}, not null`],
  ['confusionCellExplanations', () => confusionCellExplanations(network, [] as never, new ArrayBuffer(8) as never), `confusionCellExplanations: set must be ${SET}, not Array`],
  ['measureFaithfulness', () => measureFaithfulness('network' as never, set, [0]), `measureFaithfulness: network must be ${NETWORK}, not string`],
  ['measureFaithfulness', () => measureFaithfulness(network, set, [0], 'fast' as never), `measureFaithfulness: options must be ${OPTIONS}, not string`],
  ['perturbationCurves', () => perturbationCurves(network as never, [], 5, 5), 'perturbationCurves: classify must be a function from images to probabilities (networkClassifier), not Network'],
  ['perturbationCurves', () => perturbationCurves(networkClassifier(network), null as never, 5, 5), 'perturbationCurves: requests must be an array of curve requests (image, order, target, seed), not null'],
  ['cascadingRandomisation', () => cascadingRandomisation(network, set, [0], [0], gradCamMethod as never), 'cascadingRandomisation: makeMethod must be a function that makes an explanation method (() => methodByName(…)), not Object'],
  ['cascadingRandomisation', () => cascadingRandomisation(network, undefined as never, [0], [0], () => gradCamMethod), `cascadingRandomisation: set must be ${SET}, not undefined`],
  ['pointingGame', () => pointingGame(3 as never, new Float32Array(25), 1, 5, 5), `pointingGame: heatmaps must be ${NUMBERS}, not number`],
  ['pointingGame', () => pointingGame(new Float32Array(25), null as never, 1, 5, 5), `pointingGame: images must be ${NUMBERS}, not null`],
  ['ssim', () => ssim(null as never, [0], 1, 1), `ssim: a must be ${NUMBERS}, not null`],
  ['ssim', () => ssim([0], new ArrayBuffer(4) as never, 1, 1), `ssim: b must be ${NUMBERS}, not ArrayBuffer`],
  ['pearsonCorrelation', () => pearsonCorrelation('12' as never, [1, 2]), `pearsonCorrelation: a must be ${NUMBERS}, not string`],
  ['spearmanCorrelation', () => spearmanCorrelation([1, 2], undefined as never), `spearmanCorrelation: b must be ${NUMBERS}, not undefined`],
  ['averageRanks', () => averageRanks(null as never), `averageRanks: values must be ${NUMBERS}, not null`],
  ['parseIdx', () => parseIdx(new ArrayBuffer(8) as never, 'x.idx'), `parseIdx: bytes must be ${BYTES}, not ArrayBuffer`],
  ['digitFromPng', () => digitFromPng('digit.png' as never, 'digit.png'), `digitFromPng: bytes must be ${BYTES}, not string`],
  ['takeFirst', () => takeFirst('set' as never, 1), `takeFirst: set must be ${SET}, not string`],
  ['selectImages', () => selectImages(set, 0 as never), `selectImages: indices must be ${NUMBERS}, not number`],
  ['selectImages', () => selectImages(null as never, [0]), `selectImages: set must be ${SET}, not null`],
  ['stratifiedHoldOut', () => stratifiedHoldOut(set as never, 0.1, 0), `stratifiedHoldOut: labels must be ${NUMBERS}, not Object`],
  ['splitValidation', () => splitValidation(null as never, 0.1, 0), `splitValidation: train must be ${SET}, not null`],
  ['networkClassifier', () => networkClassifier('network' as never), `networkClassifier: network must be ${NETWORK}, not string`],
  ['areaUnderCurve', () => areaUnderCurve([0, 1], null as never), `areaUnderCurve: ys must be ${NUMBERS}, not null`],
  ['attributionOrder', () => attributionOrder(undefined as never), `attributionOrder: heatmap must be ${NUMBERS}, not undefined`],
  ['explanationImage', () => explanationImage(new ArrayBuffer(8) as never, 0), 'explanationImage: result must be an object (count, height, width and heatmaps, as gradCam or explainImages gives it), not ArrayBuffer'],
  ['zeroCentred', () => zeroCentred(null as never), `zeroCentred: values must be ${NUMBERS}, not null`],
  ['minMaxNormalize', () => minMaxNormalize('values' as never), `minMaxNormalize: values must be ${NUMBERS}, not string`],
  ['heatmapFromMap', () => heatmapFromMap(null as never, 1, 1, 5, 5), `heatmapFromMap: map must be ${NUMBERS}, not null`],
  ['isFlatMap', () => isFlatMap(7 as never), `isFlatMap: map must be ${NUMBERS}, not number`],
  ['modelReport', () => modelReport('model' as never, set), 'modelReport: model must be an object (a network, or a loaded model: loadModel, loadModelFromBytes), not string'],
  ['modelReport', () => modelReport(network, set, 5 as never), `modelReport: options must be ${OPTIONS}, not number`],
  ['encodeCheckpoint', () => encodeCheckpoint(new ArrayBuffer(8) as never, {} as never, info), 'encodeCheckpoint: state must be an object (network, optimiser and progress, as createTrainingState gives it), not ArrayBuffer'],
  ['saveCheckpoint', () => saveCheckpoint(null as never, {} as never, {} as never, info), 'saveCheckpoint: path must be a string, not null'],
  ['restoreCheckpoint', () => restoreCheckpoint(undefined as never, backend), 'restoreCheckpoint: checkpoint must be an object (source, file, settings and progress, as decodeCheckpoint gives it), not undefined'],
  ['restoreCheckpoint', () => restoreCheckpoint({ source: 'c', file: {}, settings: {}, progress: {}, history: [] } as never, 'wasm' as never), `restoreCheckpoint: backend must be ${BACKEND}, not string`],
  ['saveModel', () => saveModel(42 as never, network, info), 'saveModel: path must be a string, not number'],
  ['saveModel', () => saveModel('m.safetensors', 'network' as never, info), `saveModel: network must be ${NETWORK}, not string`],
  ['evaluationOf', () => evaluationOf({} as never, ['a']), 'evaluationOf: predictions must be predictions (labels, predicted and probabilities, as predict gives them), not Object'],
  ['confusionMatrix', () => confusionMatrix([0], 'b' as never, 3), `confusionMatrix: predicted must be ${NUMBERS}, not string`],
  ['classificationReport', () => classificationReport([[1]], null as never), 'classificationReport: classNames must be an array of strings, not null'],
  ['geometryOf', () => geometryOf('network' as never), `geometryOf: network must be ${NETWORK}, not string`],
  ['explainedLayer', () => explainedLayer(undefined as never), `explainedLayer: network must be ${NETWORK}, not undefined`],
  ['camLayerOf', () => camLayerOf(null as never), `camLayerOf: network must be ${NETWORK}, not null`],
  ['explainableLayersOf', () => explainableLayersOf([] as never), `explainableLayersOf: network must be ${NETWORK}, not Array`],
  ['formatExplainableLayers', () => formatExplainableLayers(1 as never), `formatExplainableLayers: network must be ${NETWORK}, not number`],
  ['mnistDigit', () => mnistDigit(new Uint8Array(4) as never, 'digit'), 'mnistDigit: picture must be an object (width, height and grey pixels: greyFromRgba), not Uint8Array'],
  ['decodeAnyModel', () => decodeAnyModel(null as never, 'm', backend), `decodeAnyModel: bytes must be ${BYTES}, not null`],
  ['isOnnxModel', () => isOnnxModel('m.onnx' as never, 'm.onnx'), `isOnnxModel: bytes must be ${BYTES}, not string`],
  ['decodeOnnxModel', () => decodeOnnxModel(new Uint8Array(8), 'm', {} as never), `decodeOnnxModel: backend must be ${BACKEND}, not Object`],
  ['encodeOnnxModel', () => encodeOnnxModel(network, 'info' as never), `encodeOnnxModel: info must be ${INFO}, not string`],
  ['trueClassesOf', () => trueClassesOf({ indices: [0] } as never, 'set' as never), `trueClassesOf: set must be ${SET}, not string`],
  ['layersTopDown', () => layersTopDown('network' as never), `layersTopDown: network must be ${NETWORK}, not string`],
  ['reinitialiseLayer', () => reinitialiseLayer(null as never, 'conv1', new Random(0)), `reinitialiseLayer: network must be ${NETWORK}, not null`],
  ['withParametersRestored', () => withParametersRestored(network, 'work' as never), 'withParametersRestored: work must be a function to run, not string'],
  ['readPictureHeader', () => readPictureHeader(new ArrayBuffer(8) as never), `readPictureHeader: bytes must be ${BYTES}, not ArrayBuffer`],
  ['resolveSpec', () => resolveSpec(null as never, 10), 'resolveSpec: nameOrSpec must be a preset name or a layer spec (PRESETS), not null'],
  ['planNetwork', () => planNetwork('paper', 'mnist' as never), `planNetwork: geometry must be ${GEOMETRY}, not string`],
  ['planNetwork', () => planNetwork(7 as never, info.geometry), 'planNetwork: specText must be a layer spec, not number'],
  ['rasterToPng', () => rasterToPng(null as never), 'rasterToPng: raster must be an object (a Raster), not null'],
  ['evaluationJson', () => evaluationJson(null as never), 'evaluationJson: evaluation must be an object (as evaluate gives it), not null'],
  ['formatClassificationReport', () => formatClassificationReport('report' as never), 'formatClassificationReport: report must be an object (as classificationReport gives it), not string'],
  ['formatConfusionMatrix', () => formatConfusionMatrix([[1]], 'a' as never), 'formatConfusionMatrix: classNames must be an array of strings, not string'],
  ['formatFaithfulness', () => formatFaithfulness(undefined as never), 'formatFaithfulness: result must be an object (as measureFaithfulness gives it), not undefined'],
  ['faithfulnessJson', () => faithfulnessJson('result' as never), 'faithfulnessJson: result must be an object (as measureFaithfulness gives it), not string'],
  ['rankMethods', () => rankMethods({} as never), 'rankMethods: rows must be an array of measures, one object per method, not Object'],
  ['formatPlan', () => formatPlan('paper' as never), 'formatPlan: plan must be an object (layers and geometry, as planNetwork gives it), not string'],
  ['formatSpec', () => formatSpec('conv(8,3)' as never), 'formatSpec: layers must be an array of layer specs (parseSpec), not string'],
  ['explainableLayers', () => explainableLayers(null as never), 'explainableLayers: plan must be an object (layers and geometry, as planNetwork gives it), not null'],
  ['receptiveField', () => receptiveField(3 as never, 'conv1'), 'receptiveField: plan must be an object (layers and geometry, as planNetwork gives it), not number'],
  ['formatFolderSummary', () => formatFolderSummary(undefined as never), 'formatFolderSummary: summary must be an object (as loadImageFolder gives it), not undefined'],
  ['receptiveFieldCentre', () => receptiveFieldCentre(0, null as never), 'receptiveFieldCentre: field must be an object (stride, size and centre: receptiveField), not null'],
  ['needsConvLayer', () => needsConvLayer('grad-cam' as never), 'needsConvLayer: method must be an explanation method (methodByName), not string'],
  ['randomOrder', () => randomOrder(25, 7 as never), 'randomOrder: random must be a Random (new Random(seed)), not number'],
  ['gradcheck', () => gradcheck(null as never), 'gradcheck: options must be an object (the function or network to check, and its inputs), not null'],
  ['compareWithReference', () => compareWithReference(undefined as never), 'compareWithReference: options must be an object (the backend to compare, at least), not undefined'],
  ['checkpointSettings', () => checkpointSettings('state' as never, { epochs: 1, batchSize: 1 }), 'checkpointSettings: state must be an object (network, optimiser and progress, as createTrainingState gives it), not string'],
  ['listPictureFiles', () => listPictureFiles('digits' as never), 'listPictureFiles: paths must be an array of file or folder paths, not string'],
  ['eigenCamMap', () => eigenCamMap(new Float32Array(4), 1, 1, 4, 'map' as never), `eigenCamMap: map must be ${NUMBERS}, not string`],
  ['scoreCamWeights', () => scoreCamWeights('network' as never, new Float32Array(25), new Float64Array(4), 0, {} as never), `scoreCamWeights: network must be ${NETWORK}, not string`],
  ['guidedGradients', () => guidedGradients(null as never, new Float32Array(25), 1, [0] as never, new Float32Array(3)), `guidedGradients: network must be ${NETWORK}, not null`],
  ['kernelShap', () => kernelShap(4, 8, new Random(0), 'value' as never), 'kernelShap: value must be a function from a coalition to its value, not string'],
  ['lime', () => lime(4, 8, new Random(0), null as never), 'lime: value must be a function from a coalition to its value, not null'],
  ['methodsComparisonPng', () => methodsComparisonPng('grad-cam' as never, [], { width: 5, height: 5 }), 'methodsComparisonPng: methods must be an array of method titles, not string'],
  ['methodsComparisonPng', () => methodsComparisonPng(['Grad-CAM'], [], 5 as never), 'methodsComparisonPng: options must be an object (width and height at least), not number'],
  ['reportHtml', () => reportHtml('report' as never), 'reportHtml: content must be an object (what the page shows: ReportContent), not string'],
  ['pictureToInput', () => pictureToInput(null as never, 1, 1, 3, {} as never, new Uint8Array(1), 'p.png'), `pictureToInput: rgba must be ${NUMBERS}, not null`],
  ['pictureToInput', () => pictureToInput(new Uint8Array(4), 1, 1, 3, { channels: 3, height: 1, width: 1 } as never, new ArrayBuffer(1) as never, 'p.png'), `pictureToInput: out must be ${BYTES}, not ArrayBuffer`],
];

const state = createTrainingState(network, new Adam(network), new Random(0));
const settings = checkpointSettings(state, { epochs: 1, batchSize: 1 });
const INFO_FIELDS = 'geometry, dataset and classNames, as loadModel gives it';
const STATE_FIELDS = 'network, optimiser and progress, as createTrainingState gives it';
const PLAN_FIELDS = 'layers and geometry, as planNetwork gives it';
const GEOMETRY_FIELDS = 'channels, height, width and classes';
const SIZE_FIELDS = 'width and height at least';
const RANDOM = 'a Random (new Random(seed))';

/** The message for an object that lacks a field: the function, the argument's field, its kind, and what the argument holds. */
function missing(what: string, name: string, field: string, kind: string, holding: string): string {
  return `${what}: ${name}.${field} must be ${kind} (${name}: ${holding}), not undefined`;
}

// [function, call, message] — an object given where the function reads fields, but without them (`{}`, or one
// field short): refused naming the first field it lacks, never a TypeError where the field is used.
const MISSING_FIELDS: Array<[string, () => unknown, string]> = [
  ['createClassifier', () => createClassifier(network, {} as never), missing('createClassifier', 'info', 'geometry', 'an object', INFO_FIELDS)],
  ['Classifier', () => new Classifier(network, {} as never), missing('Classifier', 'info', 'geometry', 'an object', INFO_FIELDS)],
  ['encodeModel', () => encodeModel(network, { geometry: info.geometry, dataset: 'test' } as never), missing('encodeModel', 'info', 'classNames', 'an array', INFO_FIELDS)],
  ['saveModel', () => saveModel('m.safetensors', network, { geometry: info.geometry, classNames: info.classNames } as never), missing('saveModel', 'info', 'dataset', 'a string', INFO_FIELDS)],
  ['encodeOnnxModel', () => encodeOnnxModel(network, {} as never), missing('encodeOnnxModel', 'info', 'geometry', 'an object', INFO_FIELDS)],
  ['encodeCheckpoint', () => encodeCheckpoint({} as never, settings, info), missing('encodeCheckpoint', 'state', 'network', 'an object', STATE_FIELDS)],
  ['encodeCheckpoint', () => encodeCheckpoint({ ...state, optimizer: {} } as never, settings, info), missing('encodeCheckpoint', 'state.optimizer', 'step', 'a number', 'an optimiser: new Adam(network), say')],
  ['encodeCheckpoint', () => encodeCheckpoint(state, {} as never, info), missing('encodeCheckpoint', 'settings', 'epochs', 'a number', 'the training settings: checkpointSettings(state, run)')],
  ['encodeCheckpoint', () => encodeCheckpoint(state, settings, {} as never), missing('encodeCheckpoint', 'info', 'geometry', 'an object', INFO_FIELDS)],
  ['saveCheckpoint', () => saveCheckpoint('c.safetensors', { ...state, random: {} } as never, settings, info), `saveCheckpoint: state.random must be ${RANDOM}, not Object`],
  ['saveCheckpoint', () => saveCheckpoint('c.safetensors', state, { ...settings, arch: undefined } as never, info), missing('saveCheckpoint', 'settings', 'arch', 'a string', 'the training settings: checkpointSettings(state, run)')],
  ['checkpointSettings', () => checkpointSettings({} as never, { epochs: 1, batchSize: 1 }), missing('checkpointSettings', 'state', 'network', 'an object', STATE_FIELDS)],
  ['checkpointSettings', () => checkpointSettings(state, { epochs: 1 } as never), missing('checkpointSettings', 'run', 'batchSize', 'a number', 'epochs and batchSize')],
  ['restoreCheckpoint', () => restoreCheckpoint({} as never, backend), missing('restoreCheckpoint', 'checkpoint', 'source', 'a string', 'source, file, settings and progress, as decodeCheckpoint gives it')],
  ['createTrainingState', () => createTrainingState({} as never, new Adam(network), new Random(0)), `createTrainingState: network must be ${NETWORK}, not Object`],
  ['createTrainingState', () => createTrainingState(network, {} as never, new Random(0)), missing('createTrainingState', 'optimizer', 'step', 'a number', 'an optimiser: new Adam(network), say')],
  ['createTrainingState', () => createTrainingState(network, new Adam(network), {} as never), `createTrainingState: random must be ${RANDOM}, not Object`],
  ['createNetwork', () => createNetwork(backend, 'paper', {} as never), missing('createNetwork', 'geometry', 'channels', 'a number', GEOMETRY_FIELDS)],
  ['createPaperNetwork', () => createPaperNetwork(backend, { channels: 1, height: 28, width: 28 } as never), missing('createPaperNetwork', 'geometry', 'classes', 'a number', GEOMETRY_FIELDS)],
  ['planNetwork', () => planNetwork('paper', {} as never), missing('planNetwork', 'geometry', 'channels', 'a number', GEOMETRY_FIELDS)],
  ['formatPlan', () => formatPlan({} as never), missing('formatPlan', 'plan', 'layers', 'an array', PLAN_FIELDS)],
  ['receptiveField', () => receptiveField({} as never, 'conv1'), missing('receptiveField', 'plan', 'layers', 'an array', PLAN_FIELDS)],
  ['explainableLayers', () => explainableLayers({ layers: [] } as never), missing('explainableLayers', 'plan', 'geometry', 'an object', PLAN_FIELDS)],
  ['explanationImage', () => explanationImage({} as never, 0), missing('explanationImage', 'result', 'count', 'a number', 'count, height, width and heatmaps, as gradCam or explainImages gives it')],
  ['classMeanHeatmaps', () => classMeanHeatmaps({} as never, [0], 3), missing('classMeanHeatmaps', 'explanation', 'count', 'a number', 'count, height, width and heatmaps, as explainForTargets gives it')],
  ['trueClassesOf', () => trueClassesOf({} as never, set), missing('trueClassesOf', 'explanation', 'indices', `${NUMBERS}`, 'count, height, width and heatmaps, as explainForTargets gives it')],
  ['mnistDigit', () => mnistDigit({} as never, 'digit'), missing('mnistDigit', 'picture', 'width', 'a number', 'width, height and grey pixels: greyFromRgba')],
  ['receptiveFieldCentre', () => receptiveFieldCentre(0, {} as never), missing('receptiveFieldCentre', 'field', 'stride', 'a number', 'stride, size and centre: receptiveField')],
  ['formatFaithfulness', () => formatFaithfulness({} as never), missing('formatFaithfulness', 'result', 'count', 'a number', 'as measureFaithfulness gives it')],
  ['faithfulnessJson', () => faithfulnessJson({ count: 1, indices: [0] } as never), missing('faithfulnessJson', 'result', 'methods', 'an array', 'as measureFaithfulness gives it')],
  ['randomOrder', () => randomOrder(25, {} as never), `randomOrder: random must be ${RANDOM}, not Object`],
  ['reinitialiseLayer', () => reinitialiseLayer(network, 'conv1', {} as never), `reinitialiseLayer: random must be ${RANDOM}, not Object`],
  ['formatClassificationReport', () => formatClassificationReport({} as never), missing('formatClassificationReport', 'report', 'classNames', 'an array', 'as classificationReport gives it')],
  ['evaluationJson', () => evaluationJson({} as never), missing('evaluationJson', 'evaluation', 'count', 'a number', 'as evaluate gives it')],
  ['formatFolderSummary', () => formatFolderSummary({} as never), missing('formatFolderSummary', 'summary', 'root', 'a string', 'as loadImageFolder gives it')],
  ['rasterToPng', () => rasterToPng({} as never), missing('rasterToPng', 'raster', 'width', 'a number', 'a Raster')],
  ['heatmapToPng', () => heatmapToPng([0], {} as never), missing('heatmapToPng', 'options', 'width', 'a number', SIZE_FIELDS)],
  ['overlayToPng', () => overlayToPng([0], [0], { width: 1 } as never), missing('overlayToPng', 'options', 'height', 'a number', SIZE_FIELDS)],
  ['explanationToPng', () => explanationToPng([0], [0], {} as never), missing('explanationToPng', 'options', 'width', 'a number', SIZE_FIELDS)],
  ['methodsComparisonPng', () => methodsComparisonPng([], [], {} as never), missing('methodsComparisonPng', 'options', 'width', 'a number', SIZE_FIELDS)],
  ['reportHtml', () => reportHtml({} as never), missing('reportHtml', 'content', 'modelPath', 'a string', 'what the page shows: ReportContent')],
  ['modelReport', () => modelReport({} as never, set), 'modelReport: model.network must be a network (a loaded model holds one: loadModel, loadModelFromBytes), not undefined'],
  ['gradcheck', () => gradcheck({} as never), "gradcheck: arch is undefined; give a spec such as 'conv(8,3) relu maxpool(2) flatten linear(10)' or a preset name"],
  ['compareWithReference', () => compareWithReference({} as never), `compareWithReference: options.backend must be ${BACKEND}, not undefined`],
  ['pictureToInput', () => pictureToInput(new Uint8Array(4), 1, 1, 3, {} as never, new Uint8Array(1), 'p.png'), missing('pictureToInput', 'conversion', 'channels', 'a number', "the model's input size and channels")],
];

const PATH = 'a string (a file path)';
const FOLDER = 'a string (a folder path)';
const FLOATS = "a Float32Array or Float64Array (the backend's allocFloats gives one)";
const POOL_ONLY = 'ThreadPool.create(network, threads) makes it: call that instead of the constructor';
const BACKEND_ONLY = 'createWasmBackendFromBytes or createWasmBackend makes the backend: call it instead of the constructor';
const LAYER = 'a layer: name, shapes, parameterSpecs, forward and backward';

// [function, call, message] — the constructors, and the functions a probe over every export (of 'xcnn',
// 'xcnn/core', 'xcnn/testing' and 'xcnn/onnx', with {}, null, a number and a string in every argument) found
// still failing with a TypeError, another code, or a wrong result.
const CONSTRUCTORS_AND_THE_REST: Array<[string, () => unknown, string]> = [
  ['Network', () => new Network({} as never, network.layers), `Network: backend must be ${BACKEND}, not Object`],
  ['Network', () => new Network(backend, {} as never), 'Network: layers must be a non-empty array of layers (planNetwork and createNetwork build them from a spec), not Object'],
  ['Network', () => new Network(backend, []), 'Network: layers must be a non-empty array of layers (planNetwork and createNetwork build them from a spec), not Array'],
  ['Network', () => new Network(backend, [{}] as never), missing('Network', 'layers[0]', 'name', 'a string', LAYER)],
  ['Network', () => new Network(backend, [network.layers[0], { name: 'relu', inputShape: [2, 3, 3], outputShape: [2, 3, 3], parameterSpecs: () => [], bindParameters: () => undefined, backward: () => null }] as never), missing('Network', 'layers[1]', 'forward', 'a function', LAYER)],
  ['Network', () => new Network(backend, network.layers, null as never), 'Network: arenas must be an object (params, grads and buffers, each an array of floats or left out), not null'],
  ['Network', () => new Network(backend, network.layers, { params: [0, 1] as never }), `Network: arenas.params must be ${FLOATS}, not Array`],
  ['Network', () => new Network(backend, network.layers, {}, {} as never), missing('Network', 'plan', 'layers', 'an array', PLAN_FIELDS)],
  ['ThreadPool', () => new (ThreadPool as never as new (...args: unknown[]) => unknown)({}), `ThreadPool: network must be ${NETWORK}, not Object`],
  ['ThreadPool', () => new (ThreadPool as never as new (...args: unknown[]) => unknown)(null), `ThreadPool: network must be ${NETWORK}, not null`],
  ['ThreadPool', () => new (ThreadPool as never as new (...args: unknown[]) => unknown)(network, {}), missing('ThreadPool', 'optimizer', 'step', 'a number', 'an optimiser: new Adam(network), say')],
  ['ThreadPool', () => new (ThreadPool as never as new (...args: unknown[]) => unknown)(network, null, {}), `ThreadPool: shard must be a Shard (${POOL_ONLY}), not Object`],
  ['WasmBackend', () => new (WasmBackend as never as new (...args: unknown[]) => unknown)({}), missing('WasmBackend', 'kernels', 'gemmAPanelFloats', 'a function', `the kernels' exports: ${BACKEND_ONLY}`)],
  ['WasmBackend', () => new (WasmBackend as never as new (...args: unknown[]) => unknown)(null), `WasmBackend: kernels must be an object (the kernels' exports: ${BACKEND_ONLY}), not null`],
  ['Random', () => new Random('seed' as never), 'Random: seed must be a number (the seed, a whole number), not string'],
  ['Random', () => new Random({} as never), 'Random: seed must be a number (the seed, a whole number), not Object'],
  ['Random.fromState', () => Random.fromState(null as never), `Random.fromState: state must be ${NUMBERS}, not null`],
  ['Random.fromState', () => Random.fromState([1, 2] as never), 'Random.fromState: state must hold 4 numbers, as random.state() gives them, not 2'],
  ['Raster', () => new Raster({} as never, 2), 'Raster: width must be a number, not Object'],
  ['Raster', () => new Raster(2, 2, 'white' as never), `Raster: background must be ${NUMBERS}, not string`],
  ['ReferenceBackend', () => new ReferenceBackend(null as never), "ReferenceBackend: options must be an object (its options: precision, 'float32' or 'float64'), not null"],
  ['ReferenceBackend', () => new ReferenceBackend({ precision: 'float16' } as never), `ReferenceBackend: options.precision must be 'float32' or 'float64', not "float16"`],
  ['readModelFile', () => readModelFile({} as never), `readModelFile: path must be ${PATH}, not Object`],
  ['loadModel', () => loadModel(null as never, backend), `loadModel: path must be ${PATH}, not null`],
  ['loadModel', () => loadModel('m.safetensors', 'wasm' as never), `loadModel: backend must be ${BACKEND}, not string`],
  ['readCheckpoint', () => readCheckpoint(42 as never), `readCheckpoint: path must be ${PATH}, not number`],
  ['readImageSet', () => readImageSet('images.idx', {} as never), `readImageSet: labelsPath must be ${PATH}, not Object`],
  ['loadDataset', () => loadDataset(null as never), `loadDataset: dir must be ${FOLDER}, not null`],
  ['loadTestData', () => loadTestData({} as never), `loadTestData: dir must be ${FOLDER}, not Object`],
  ['readIdxFile', () => readIdxFile(42 as never), `readIdxFile: path must be ${PATH}, not number`],
  ['readPicture', () => readPicture(null as never), `readPicture: path must be ${PATH}, not null`],
  ['isImageFolder', () => isImageFolder({} as never), `isImageFolder: dir must be ${FOLDER}, not Object`],
  ['loadImageFolder', () => loadImageFolder(42 as never), `loadImageFolder: dir must be ${FOLDER}, not number`],
  ['loadImageFolder', () => loadImageFolder('digits', 'fast' as never), `loadImageFolder: options must be ${OPTIONS}, not string`],
  ['loadImageFolderTest', () => loadImageFolderTest('digits', {} as never), missing('loadImageFolderTest', 'conversion', 'channels', 'a number', "the model's input size and channels")],
  ['readOnnxNetwork', () => readOnnxNetwork(null as never, 'm.onnx'), 'readOnnxNetwork: model must be an object (a decoded ONNX ModelProto: its graph and opset), not null'],
  ['readOnnxNetwork', () => readOnnxNetwork({}, 42 as never), 'readOnnxNetwork: source must be a string (the file name, for messages), not number'],
  ['imagesFromPixels', () => imagesFromPixels([0, 0] as never, 1, 1, 2), `imagesFromPixels: pixels must be ${BYTES}, not Array`],
  ['encodeRgbaPng', () => encodeRgbaPng([0, 0, 0, 255] as never, 1, 1), 'encodeRgbaPng: rgba must be a Uint8Array or Uint8ClampedArray of pixel bytes (ImageData.data is one), not Array'],
  ['encodeRgbaPng', () => encodeRgbaPng(new Uint8Array(4), '1' as never, 1), 'encodeRgbaPng: width must be a number, not string'],
  ['encodeRgbaPng', () => encodeRgbaPng(new Uint8Array(4), 1, 1, true as never), 'encodeRgbaPng: options must be an object (alpha), not boolean'],
  ['curveFractions', () => curveFractions(25, {} as never), 'curveFractions: steps must be a number, not Object'],
  ['paperSpec', () => paperSpec('10' as never), 'paperSpec: classes must be a number, not string'],
  ['paperSpec', () => paperSpec(10, {} as never), missing('paperSpec', 'widths', 'conv1Channels', 'a number', 'conv1Channels, conv2Channels and hidden')],
  ['trainingPass', () => trainingPass(null as never, 0), 'trainingPass: seed must be a number, not null'],
  ['pointingGameOutcome', () => pointingGameOutcome(new Float32Array(4), 'image' as never, 2, 2), `pointingGameOutcome: image must be ${NUMBERS}, not string`],
  ['noisyLinearImputation', () => noisyLinearImputation({} as never, new Uint8Array(4), 2, 2, new Random(0)), `noisyLinearImputation: image must be ${NUMBERS}, not Object`],
  ['noisyLinearImputation', () => noisyLinearImputation([0, 0, 0, 0], null as never, 2, 2, new Random(0)), `noisyLinearImputation: removed must be ${BYTES}, not null`],
  ['noisyLinearImputation', () => noisyLinearImputation([0, 0, 0, 0], new Uint8Array(4), 2, 2, 'seed' as never), `noisyLinearImputation: random must be ${RANDOM}, not string`],
  ['imageShapes', () => imageShapes(null as never), `imageShapes: options must be ${OPTIONS}, not null`],
  ['tensors', () => tensors({} as never), missing('tensors', 'options', 'length', 'a number', 'length, and min, max and precision if wanted')],
  ['images', () => images(null as never), "images: shape must be an object (height and width, and channels if not 1), not null"],
  ['images', () => images({ height: 2 } as never), missing('images', 'shape', 'width', 'a number', 'height and width, and channels if not 1')],
  ['imageSets', () => imageSets(42 as never), `imageSets: options must be ${OPTIONS}, not number`],
  ['datasets', () => datasets('mnist' as never), `datasets: options must be ${OPTIONS}, not string`],
  ['randomSpecs', () => randomSpecs(null as never), `randomSpecs: options must be ${OPTIONS}, not null`],
  ['buildSpec', () => buildSpec({} as never, []), missing('buildSpec', 'geometry', 'channels', 'a number', GEOMETRY_FIELDS)],
  ['respelled', () => respelled({} as never), missing('respelled', 'spec', 'geometry', 'an object', 'as randomSpecs draws it')],
];

// [function, call, message] — the explanation methods' factories and their options, and the rest of src/explain
// a second probe found still taking 42, null or an object of another shape. A factory without settings refuses
// any argument (it would be ignored); options refuse a field of the wrong kind and, where nothing hands them on
// to another function, a field they do not have (a misspelt one would silently keep its default).
const anyArguments = (factory: unknown) => factory as (...args: unknown[]) => unknown;
const BLOCK_OPTION = "the conv block to explain is explainImages' layer option";
const METHOD_FIELDS = 'smoothGrad, integratedGradients, occlusion, kernelShap, lime';
const WHOLE = 'a whole number ≥ 1';
const PIXEL_BYTES = 'a Uint8Array or Uint8ClampedArray of pixel bytes (ImageData.data is one)';
const coalitionValue = (_: Uint8Array, count: number) => new Float64Array(count);
const predictions = predict(network, set);
const EXPLAIN_METHODS_AND_OPTIONS: Array<[string, () => unknown, string]> = [
  ['eigenCamMethod', () => anyArguments(eigenCamMethod)({ layer: 'conv1' }), `eigenCamMethod: takes no arguments, not 1 (${BLOCK_OPTION})`],
  ['scoreCamMethod', () => anyArguments(scoreCamMethod)(42), `scoreCamMethod: takes no arguments, not 1 (${BLOCK_OPTION})`],
  ['guidedGradCamMethod', () => anyArguments(guidedGradCamMethod)({}, 'conv1'), `guidedGradCamMethod: takes no arguments, not 2 (${BLOCK_OPTION})`],
  ['guidedBackpropMethod', () => anyArguments(guidedBackpropMethod)(null), 'guidedBackpropMethod: takes no arguments, not 1 (Guided Backprop has no settings)'],
  ['saliencyMethod', () => anyArguments(saliencyMethod)('x'), 'saliencyMethod: takes no arguments, not 1 (Saliency has no settings)'],
  ['gradientTimesInputMethod', () => anyArguments(gradientTimesInputMethod)({}), 'gradientTimesInputMethod: takes no arguments, not 1 (Gradient × input has no settings)'],
  ['camMethod', () => camMethod('grad-cam', 'Grad-CAM', 'sum' as never), 'camMethod: combine must be a function (activations, gradients, n, channels, pixels, map) that writes the maps, as gradCamMap, not string'],
  ['camMethod', () => camMethod(7 as never, 'Grad-CAM', () => undefined), 'camMethod: name must be a string, not number'],
  ['smoothGradMethod', () => smoothGradMethod(42 as never), 'smoothGradMethod: options must be an object (any of samples, sigma, seed), not number'],
  ['smoothGradMethod', () => smoothGradMethod({ samples: '8' } as never), 'smoothGradMethod: options.samples must be a number, not string'],
  ['smoothGradMethod', () => smoothGradMethod({ sample: 8 } as never), 'smoothGradMethod: options.sample is not an option; the options are samples, sigma, seed'],
  ['integratedGradientsMethod', () => integratedGradientsMethod(null as never), 'integratedGradientsMethod: options must be an object (any of steps, baseline), not null'],
  ['integratedGradientsMethod', () => integratedGradientsMethod({ baseline: 'black' } as never), 'integratedGradientsMethod: options.baseline must be a number, not string'],
  ['occlusionMethod', () => occlusionMethod(42 as never), 'occlusionMethod: options must be an object (any of window, stride), not number'],
  ['occlusionMethod', () => occlusionMethod({ size: 4 } as never), 'occlusionMethod: options.size is not an option; the options are window, stride'],
  ['kernelShapMethod', () => kernelShapMethod('fast' as never), 'kernelShapMethod: options must be an object (any of patch, samples, seed), not string'],
  ['kernelShapMethod', () => kernelShapMethod({ seed: null } as never), 'kernelShapMethod: options.seed must be a number, not null'],
  ['limeMethod', () => limeMethod({ patch: [4] } as never), 'limeMethod: options.patch must be a number, not Array'],
  ['methodByName', () => methodByName(42 as never), `methodByName: name must be a method name (${METHOD_NAMES.join(', ')}), not number`],
  ['methodByName', () => methodByName('smoothgrad', null as never), `methodByName: options must be an object (any of ${METHOD_FIELDS}), not null`],
  ['methodByName', () => methodByName('smoothgrad', { smoothgrad: { samples: 8 } } as never), `methodByName: options.smoothgrad is not an option; the options are ${METHOD_FIELDS}`],
  ['methodByName', () => methodByName('smoothgrad', { smoothGrad: 42 } as never), 'methodByName: options.smoothGrad must be an object, not number'],
  ['methodByName', () => methodByName('lime', { lime: { samples: '64' } } as never), 'methodByName: options.lime.samples must be a number, not string'],
  ['methodByName', () => methodByName('grad-cam', { occlusion: { windw: 3 } } as never), 'methodByName: options.occlusion.windw is not an option; the options are window, stride'],
  ['kernelShap', () => kernelShap('4' as never, 8, new Random(0), coalitionValue), 'kernelShap: features must be a number, not string'],
  ['lime', () => lime(4, 8, {} as never, coalitionValue), `lime: random must be ${RANDOM}, not Object`],
  ['lime', () => lime(4, 8, new Random(0), coalitionValue, { kernelWidth: 0.25 } as never), missing('lime', 'options', 'lambda', 'a number', 'kernelWidth and lambda, as LIME_FIT_DEFAULTS')],
  ['placeMap', () => placeMap('map' as never, 1, 1, 5, 5), `placeMap: map must be ${NUMBERS}, not string`],
  ['placeMap', () => placeMap([0], 1.5, 1, 5, 5), `placeMap: h must be ${WHOLE}, not 1.5`],
  ['placeMap', () => placeMap([0], 1, 1, null as never, 5), `placeMap: height must be ${WHOLE}, not null`],
  ['placeMap', () => placeMap([0, 0, 0], 2, 2, 5, 5), "placeMap: map holds 3 values, but h × w = 2 × 2 = 4; give the map's own h and w"],
  ['placeMap', () => placeMap([0], 1, 1, 5, 5, 42 as never), 'placeMap: placement must be one of stretch, receptive-field, not number'],
  ['placeMap', () => placeMap([0], 1, 1, 5, 5, 'receptive-field', {} as never), missing('placeMap', 'field', 'stride', 'a number', 'stride, size and centre, as receptiveField gives them')],
  ['greyFromRgba', () => greyFromRgba([0, 0, 0, 255] as never, 1, 1), `greyFromRgba: rgba must be ${PIXEL_BYTES}, not Array`],
  ['greyFromRgba', () => greyFromRgba(new Uint8Array(4), '1' as never, 1), `greyFromRgba: width must be ${WHOLE}, not string`],
  ['greyFromRgba', () => greyFromRgba(new Uint8Array(4), 1, 0), `greyFromRgba: height must be ${WHOLE}, not 0`],
  ['modelImageFromRgba', () => modelImageFromRgba(new Uint8Array(4), 1, 1, {} as never, 5, 5), `modelImageFromRgba: channels must be ${WHOLE}, not Object`],
  ['modelImageFromRgba', () => modelImageFromRgba(new Uint8Array(4), 1, undefined as never, 1, 5, 5), `modelImageFromRgba: pictureHeight must be ${WHOLE}, not undefined`],
  ['modelImageFromRgba', () => modelImageFromRgba(new Uint8Array(4), 1, 1, 1, 5, 5, 42 as never), "modelImageFromRgba: source must be a string (the picture's name, for messages), not number"],
  ['gradCam', () => gradCam(network, set, { indices: 'x' } as never), `gradCam: options.indices must be ${NUMBERS}, not string`],
  ['gradCam', () => gradCam(network, set, { targetClas: 1 } as never), 'gradCam: options.targetClas is not an option; the options are indices, targetClass, batchSize, layer, runner'],
  ['explainImages', () => explainImages(network, set, gradCamMethod, { placement: 42 } as never), 'explainImages: options.placement must be a string, not number'],
  ['explainImages', () => explainImages(network, set, gradCamMethod, { placement: 'centre' } as never), "explainImages: placement 'centre' is not one of stretch, receptive-field"],
  ['explainImages', () => explainImages(network, set, gradCamMethod, { random: 42 } as never), 'explainImages: options.random must be an object, not number'],
  ['explainImages', () => explainImages(network, set, gradCamMethod, { random: {} } as never), `explainImages: options.random must be ${RANDOM}, not Object`],
  ['explainImages', () => explainImages(network, set, gradCamMethod, { passes: 'pool' } as never), 'explainImages: options.passes must be an object, not string'],
  ['explainImages', () => explainImages(network, set, gradCamMethod, { batchsize: 8 } as never), 'explainImages: options.batchsize is not an option; the options are indices, targetClass, batchSize, placement, layer, seed, random, passes'],
  ['explainForTargets', () => explainForTargets(network, set, gradCamMethod, [0], [0], { layer: 3 } as never), 'explainForTargets: options.layer must be a string, not number'],
  ['explainForTargets', () => explainForTargets(network, set, gradCamMethod, [0], [0], { runner: {} } as never), 'explainForTargets: options.runner must be a function, not Object'],
  ['explainClassMeans', () => explainClassMeans(network, set, 'grad-cam', { perClass: '2' } as never), 'explainClassMeans: options.perClass must be a number, not string'],
  ['explainClassMeans', () => explainClassMeans(network, set, 'grad-cam', { perclass: 2 } as never), 'explainClassMeans: options.perclass is not an option; the options are batchSize, runner, passes, layer, seed, placement, perClass'],
  ['confusionCellExplanations', () => confusionCellExplanations(network, set, predictions, 'grad-cam', { cells: '2' } as never), 'confusionCellExplanations: options.cells must be a number, not string'],
  ['confusionCellExplanations', () => confusionCellExplanations(network, set, predictions, 'grad-cam', { placement: 'middle' } as never), "confusionCellExplanations: placement 'middle' is not one of stretch, receptive-field"],
  ['heatmapFromMap', () => heatmapFromMap([0, 1], 1, 2, 5, '5' as never), `heatmapFromMap: width must be ${WHOLE}, not string`],
  ['heatmapFromMap', () => heatmapFromMap([0, 1, 2], 1, 2, 5, 5), "heatmapFromMap: map holds 3 values, but mapHeight × mapWidth = 1 × 2 = 2; give the map's own height and width"],
  ['explanationImage', () => explanationImage(gradCam(network, set), 'x' as never), 'explanationImage: n must be a number (the row of the explanation), not string'],
  ['explanationImage', () => explanationImage(gradCam(network, set), 1), "explanationImage: row 1 is outside the explanation's 1 rows (0 to 0)"],
  ['receptiveFieldCentre', () => receptiveFieldCentre('1' as never, { stride: 1, size: 1, centre: 0 }), 'receptiveFieldCentre: i must be a number (a cell of the map), not string'],
  ['mnistDigit', () => mnistDigit({ width: 1, height: 1, pixels: new Float32Array(1) }, 42 as never), "mnistDigit: source must be a string (the picture's name, for messages), not number"],
  ['digitFromPng', () => digitFromPng(new Uint8Array(8), null as never), "digitFromPng: source must be a string (the picture's name, for messages), not null"],
  ['eigenCamMap', () => eigenCamMap(new Float32Array(4), '0' as never, 1, 4, new Float64Array(4)), 'eigenCamMap: n must be a number, not string'],
  ['guidedGradients', () => guidedGradients(network, [0] as never, 1, [0] as never, new Float32Array(3)), `guidedGradients: input must be ${FLOATS}, not Array`],
  ['scoreCamWeights', () => scoreCamWeights(network, new Float32Array(25), new Float64Array(2), 0, null as never), "scoreCamWeights: copies must be an object (a batch buffer of the input's size: network.workspace.floats(name, size)), not null"],
  ['jet', () => jet('0.5' as never), 'jet: value must be a number (0 to 1), not string'],
  ['viridis', () => viridis(null as never), 'viridis: value must be a number (0 to 1), not null'],
  ['coolwarm', () => coolwarm(undefined as never), 'coolwarm: value must be a number (0 to 1), not undefined'],
  ['convOut', () => convOut(28, '3' as never, 1, 0), 'convOut: kernel must be a number, not string'],
  ['poolOut', () => poolOut(null as never, 2, 2), 'poolOut: size must be a number, not null'],
];

describe('public functions refuse an argument of the wrong kind (ERR_BAD_ARGUMENT, naming it)', () => {
  it.each(CASES)('%s', (_, call, message) => {
    const error = errorOf(call);
    expect([error.code, error.exitCode, error.message]).toEqual(['ERR_BAD_ARGUMENT', 2, message]);
  });

  it.each(MISSING_FIELDS)('%s refuses an object without the fields it reads', (_, call, message) => {
    const error = errorOf(call);
    expect([error.code, error.exitCode, error.message]).toEqual(['ERR_BAD_ARGUMENT', 2, message]);
  });

  it.each(CONSTRUCTORS_AND_THE_REST)('%s refuses it too (the constructors, and what the probe found)', (_, call, message) => {
    const error = errorOf(call);
    expect([error.code, error.exitCode, error.message]).toEqual(['ERR_BAD_ARGUMENT', 2, message]);
  });

  it.each(EXPLAIN_METHODS_AND_OPTIONS)('%s refuses it too (the methods, their options, and the rest of src/explain)', (_, call, message) => {
    const error = errorOf(call);
    expect([error.code, error.exitCode, error.message]).toEqual(['ERR_BAD_ARGUMENT', 2, message]);
  });

  it('RGBA pixels of another length than width · height · 4 are a bad image (ERR_BAD_IMAGE), not a short read', () => {
    for (const [what, call] of [
      ['greyFromRgba', () => greyFromRgba(new Uint8Array(12), 2, 2)],
      ['modelImageFromRgba', () => modelImageFromRgba(new Uint8Array(20), 2, 2, 1, 5, 5)],
    ] as const) {
      const error = errorOf(call);
      const length = what === 'greyFromRgba' ? 12 : 20;
      expect([error.code, error.exitCode, error.message]).toEqual(['ERR_BAD_IMAGE', 1, `${what}: rgba holds ${length} bytes, but a 2 × 2 RGBA picture is 16; give 4 bytes a pixel, row by row`]);
    }
  });

  it('the factories still take their own options, and a method option left undefined (methodByName)', () => {
    expect(smoothGradMethod({ samples: 2, seed: 3 }).seed).toBe(3);
    expect(occlusionMethod({ window: 2 }).name).toBe('occlusion');
    expect(methodByName('kernel-shap', { kernelShap: { patch: 2, samples: 8 }, smoothGrad: undefined }).name).toBe('kernel-shap');
    expect(eigenCamMethod().name).toBe('eigen-cam');
  });

  it('the async loaders refuse a path or bytes of the wrong kind the same way (loadCheckpoint, createWasmBackendFromBytes)', async () => {
    await expect(loadCheckpoint({} as never)).rejects.toMatchObject({ code: 'ERR_BAD_ARGUMENT', message: `loadCheckpoint: path must be ${PATH}, not Object` });
    await expect(loadCheckpoint('c.safetensors', 'ts' as never)).rejects.toMatchObject({ code: 'ERR_BAD_ARGUMENT', message: `loadCheckpoint: backend must be ${BACKEND}, not string` });
    await expect(createWasmBackendFromBytes('kernels.wasm' as never)).rejects.toMatchObject({ code: 'ERR_BAD_ARGUMENT', message: 'createWasmBackendFromBytes: bytes must be bytes: an ArrayBuffer or a Uint8Array, not string' });
    await expect(createWasmBackendFromBytes(new ArrayBuffer(8), null as never)).rejects.toMatchObject({ code: 'ERR_BAD_ARGUMENT', message: `createWasmBackendFromBytes: options must be ${OPTIONS}, not null` });
  });

  it('the async ones refuse an object without its fields the same way (train, classifierOf, loadShippedModel)', async () => {
    await expect(train({} as never, {} as never)).rejects.toMatchObject({ code: 'ERR_BAD_ARGUMENT', message: missing('train', 'state', 'network', 'an object', STATE_FIELDS) });
    await expect(classifierOf(network, { geometry: info.geometry } as never)).rejects.toMatchObject({ code: 'ERR_BAD_ARGUMENT', message: missing('classifierOf', 'info', 'dataset', 'a string', INFO_FIELDS) });
    await expect(loadShippedModel({} as never)).rejects.toMatchObject({ code: 'ERR_BAD_ARGUMENT', message: `loadShippedModel: backend must be ${BACKEND}, not Object` });
  });

  it('the async ones (attachWasmBackend, train, createWasmBackend, createWasmBackendFromUrl, ThreadPool.create) reject the same way', async () => {
    await expect(attachWasmBackend(new ArrayBuffer(8) as never)).rejects.toMatchObject({
      code: 'ERR_BAD_ARGUMENT',
      message: "attachWasmBackend: shared must be a WasmBackend's shared kernels (its module and memory: backend.shared), not ArrayBuffer",
    });
    await expect(train(null as never, {} as never)).rejects.toMatchObject({
      code: 'ERR_BAD_ARGUMENT',
      message: 'train: state must be an object (network, optimiser and progress, as createTrainingState gives it), not null',
    });
    await expect(createWasmBackend('simd' as never)).rejects.toMatchObject({ code: 'ERR_BAD_ARGUMENT', message: `createWasmBackend: options must be ${OPTIONS}, not string` });
    await expect(createWasmBackendFromUrl(null as never)).rejects.toMatchObject({ code: 'ERR_BAD_ARGUMENT', message: `createWasmBackendFromUrl: options must be ${OPTIONS}, not null` });
    await expect(ThreadPool.create('network' as never, 2)).rejects.toMatchObject({ code: 'ERR_BAD_ARGUMENT', message: `ThreadPool.create: network must be ${NETWORK}, not string` });
  });

  it('classifierOf (async) rejects the same way', async () => {
    await expect(classifierOf('model' as never, info)).rejects.toMatchObject({ code: 'ERR_BAD_ARGUMENT', message: `classifierOf: network must be ${NETWORK}, not string` });
    await expect(classifierOf(network, [] as never)).rejects.toMatchObject({ code: 'ERR_BAD_ARGUMENT', message: `classifierOf: info must be ${INFO}, not Array` });
  });

  it('a thread pool or another copy of a network passes where a model is asked (the checks are structural)', () => {
    const lookalike = { inputShape: network.inputShape, outputShape: network.outputShape, backend, workspace: network.workspace, predictBatch: () => undefined };
    expect(() => predict(lookalike as never, { ...set, count: 0, images: new Uint8Array(0), labels: new Uint8Array(0) })).not.toThrow(/must be a network/);
  });
});
