/**
 * Node's `loadModel` (the package's, in `'xcnn'`): a model file from disk, safetensors or ONNX. It lives here,
 * beside the ONNX reader, so that model-io.ts — which every command imports — does not load protobufjs.
 */
import { checkBackend, checkString } from '../argument-checks.js';
import type { Backend } from '../backend/backend.js';
import type { LoadedModel } from '../model/model-file.js';
import { readModelFile } from '../model/model-io.js';
import { decodeAnyModel } from './any-model.js';

export function loadModel(path: string, backend: Backend): LoadedModel {
  checkString('loadModel', 'path', path, 'a string (a file path)');
  checkBackend('loadModel', 'backend', backend);
  return decodeAnyModel(readModelFile(path), path, backend);
}
