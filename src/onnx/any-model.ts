/**
 * A model file's bytes as a network, synchronously: an ONNX file (by its name or its first bytes,
 * onnx-sniff.ts) through onnx-import.ts, anything else as a safetensors model file (model-file.ts). The
 * library's loadModel reads through this; the commands and loadClassifier use its asynchronous form,
 * decodeModelBytes (model-bytes.ts), which loads the ONNX reader only for an ONNX file.
 */
import { checkBackend, checkBytes } from '../argument-checks.js';
import type { Backend } from '../backend/backend.js';
import { decodeModel, type LoadedModel, type ModelLoadOptions } from '../model/model-file.js';
import { decodeOnnxModel } from './onnx-import.js';
import { isOnnxModel } from './onnx-sniff.js';

export function decodeAnyModel(bytes: Uint8Array, source: string, backend: Backend, options: ModelLoadOptions = {}): LoadedModel {
  checkBytes('decodeAnyModel', 'bytes', bytes);
  checkBackend('decodeAnyModel', 'backend', backend);
  return isOnnxModel(bytes, source) ? decodeOnnxModel(bytes, source, backend, options) : decodeModel(bytes, source, backend, options);
}
