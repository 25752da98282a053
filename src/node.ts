/**
 * xcnn as a library in Node.js: everything of the browser-safe core (src/index.ts), and the glue that
 * needs Node — the kernels read from the package's build/ folder, data folders and model files on disk,
 * worker threads, PNG pictures of digits, image folders (PNG and JPEG), checkpoint files; and ONNX in and out (src/onnx/, which needs the
 * protobufjs package). `import … from 'xcnn'` gives this module in
 * Node and the core elsewhere; `'xcnn/core'` is the core everywhere.
 *
 * `loadShippedModel` here reads the model from disk and shadows the core's, which fetches it (Node's
 * fetch has no file: URLs): the same call works in both.
 */
export * from './index.js';

export { createWasmBackend, enableRelaxedSimd, type BuildChoice } from './backend/wasm/node.js';
export { classifierOf, loadClassifier, trainClassifier } from './classifier-node.js';
export { backendNames, createBackend } from './backend/select.js';
export { defaultDataDir, loadDataset, loadTestData, readImageSet } from './data/dataset-files.js';
export { readIdxFile } from './data/idx-files.js';
export { isImageFolder, loadImageFolder, loadImageFolderTest, MAX_FOLDER_IMAGES, type ImageFolderOptions, type LoadedImageFolder } from './data/image-folder-files.js';
export { decodePicture, listPictureFiles, readPicture, type DecodedPicture, type ListedPicture } from './data/picture-files.js';
export { loadShippedModel, readModelFile, saveModel, shippedModelPath } from './model/model-io.js';
export { loadModel } from './onnx/load-model.js'; // safetensors or ONNX
export { loadCheckpoint, readCheckpoint, saveCheckpoint } from './train/checkpoint.js';
export { defaultThreads, ThreadPool } from './parallel/thread-pool.js';
export { digitFromPng } from './explain/digit-image.js';
export { decodeAnyModel, decodeOnnxModel, encodeOnnxModel, isOnnxModel, ONNX_OPSET, SUPPORTED_OPS, type OnnxExportOptions } from './onnx/index.js';
