/**
 * Whether a model file is ONNX rather than safetensors, from its first bytes or its name. Browser-safe and
 * free of protobufjs, so the core (model-file.ts) can tell an ONNX file apart and say where it is read, and the
 * command line loads the ONNX reader (and protobufjs) only for an ONNX file.
 */
import { checkBytes } from '../argument-checks.js';

/**
 * The bytes decide when they can: ONNX when they begin as a ModelProto does, safetensors when byte 8 is the
 * `{` that opens its header; bytes that look like neither (cut, or not a model) are ONNX when the name ends
 * in `.onnx`, so that the error is about the format the user meant.
 */
export function isOnnxModel(bytes: Uint8Array, source: string): boolean {
  checkBytes('isOnnxModel', 'bytes', bytes);
  if (looksLikeOnnx(bytes)) return true;
  if (bytes[8] === 0x7b) return false; // (a shorter array's bytes[8] is undefined)
  return source.toLowerCase().endsWith('.onnx');
}

/**
 * Bytes that begin as a ModelProto does: ir_version (field 1, a small varint), then another ModelProto field.
 * A safetensors file has its header's length first and `{` at byte 8, which this never takes for ONNX.
 */
export function looksLikeOnnx(bytes: Uint8Array): boolean {
  // Indices past the end read as undefined, which no test below takes: no length checks are needed.
  if (bytes[0] !== 0x08) return false;
  if (bytes[8] === 0x7b) return false; // safetensors' '{'
  // ir_version: a varint of at most five bytes (bytes 1 to 5); past the end, bytes[at] is undefined, & 0x80 is 0.
  let at = 1;
  while (bytes[at] & 0x80) {
    at++;
    if (at > 5) return false;
  }
  const next = bytes[at + 1];
  // producer_name 2, producer_version 3, domain 4, model_version 5, doc_string 6, graph 7, opset_import 8, metadata_props 14
  return [0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42, 0x72].includes(next);
}
