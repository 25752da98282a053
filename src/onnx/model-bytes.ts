/**
 * A model file's bytes as a network, with the ONNX reader (onnx-import.ts, and protobufjs with it) loaded
 * only when the bytes are ONNX (onnx-sniff.ts: by the file's name or its first bytes); anything else is a
 * safetensors model file (model-file.ts: xcnn's models and PyTorch state_dicts). Every command and Node's
 * loadClassifier read models through this, so none of them starts slower for a safetensors file.
 *
 * decodeAnyModel (any-model.ts) is the synchronous form, for the library's loadModel: a synchronous call
 * cannot load a module on demand, so that module holds the reader from the start.
 */
import type { Backend } from '../backend/backend.js';
import { decodeModel, type LoadedModel, type ModelLoadOptions } from '../model/model-file.js';
import { isOnnxModel } from './onnx-sniff.js';

export async function decodeModelBytes(bytes: Uint8Array, source: string, backend: Backend, options: ModelLoadOptions = {}): Promise<LoadedModel> {
  const decode = isOnnxModel(bytes, source) ? (await import('./onnx-import.js')).decodeOnnxModel : decodeModel;
  return decode(bytes, source, backend, options);
}
