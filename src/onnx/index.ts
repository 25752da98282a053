/**
 * ONNX in and out (`'xcnn/onnx'`, and re-exported by the Node entry `'xcnn'`): `encodeOnnxModel` writes a
 * network as an .onnx file's bytes, `decodeOnnxModel` reads one into a network (the model-file.ts
 * LoadedModel), `decodeAnyModel` takes either format. Browser-safe like the core, but it needs the
 * protobufjs package, which the core does without: a page that reads ONNX bundles this entry.
 */
export { decodeAnyModel } from './any-model.js';
export { encodeOnnxModel, ONNX_OPSET, type OnnxExportOptions } from './onnx-export.js';
export { decodeOnnxModel, readOnnxNetwork, SUPPORTED_OPS, type OnnxNetwork } from './onnx-import.js';
export { isOnnxModel } from './onnx-sniff.js';
