/**
 * The model the page starts with, for `xcnn serve` and `xcnn build-page`: --model (default: the shipped
 * model), read and decoded with every command's checks — a file that is not a model, or does not fit --arch,
 * fails here, before a server listens or a file is written — and given to the page as safetensors (an ONNX
 * file converted, a state_dict sent with --arch and --input written in; page-files.ts's modelForPage).
 */
import { basename } from 'node:path';
import { readModelFile, shippedModelPath } from '../model/model-io.js';
import { isOnnxModel } from '../onnx/onnx-sniff.js';
import { modelForPage } from '../serve/page-files.js';
import type { FlagValues } from './args.js';
import { inputFlag } from './common.js';

export interface PageModel {
  bytes: Uint8Array; // a safetensors model file
  fileName: string; // the name the page shows (an ONNX file's, ending in .safetensors)
  path: string; // the file read
}

export async function pageModelFrom(values: FlagValues): Promise<PageModel> {
  const path = values.model === undefined ? shippedModelPath() : String(values.model);
  const arch = values.arch === undefined ? undefined : String(values.arch);
  const input = values.input === undefined ? undefined : inputFlag(String(values.input));
  const bytes = readModelFile(path);
  const onnx = isOnnxModel(bytes, path);
  const decode = onnx ? (await import('../onnx/onnx-import.js')).decodeOnnxModel : undefined; // loaded only for an ONNX file
  return { bytes: modelForPage(bytes, path, { arch, input }, decode), fileName: onnx ? `${basename(path).replace(/\.onnx$/i, '')}.safetensors` : basename(path), path };
}
