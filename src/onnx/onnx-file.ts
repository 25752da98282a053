/**
 * ONNX files as bytes: decoded into the schema's messages (onnx-schema.ts) and encoded back, by protobufjs.
 *
 * The bytes are walked once before protobufjs decodes them, reading only tags and lengths (protobufjs's
 * Reader, nothing allocated): every length must lie inside its enclosing message, every field of the subset
 * must have the wire type its type gives it, there are no groups (wire types 3 and 4, which ONNX never
 * uses), and the fields the decoder would turn into objects or array elements number at most MAX_FIELDS.
 * Element data (raw_data and the packed typed fields) stays in the file's buffer as views, so decoding
 * allocates at most a bounded number of small objects whatever the file says, and a truncated, mutated or
 * random file is refused with one line naming the byte where it goes wrong.
 */
import protobuf from 'protobufjs/light.js';
import { XcnnError } from '../errors.js';
import { MODEL_PROTO, type OnnxModel } from './onnx-schema.js';

/**
 * The most fields (messages, strings, numbers, runs of element bytes) a file's structure may have. The
 * ONNX graph of a small CNN has a few hundred to a few thousand; a file with more is not one xcnn can run,
 * and decoding it would make that many objects.
 */
export const MAX_FIELDS = 200_000;

/** Protobuf wire types: 0 varint, 1 fixed 64-bit, 2 length-delimited, 5 fixed 32-bit. */
const WIRE_TYPE: Record<string, number> = { int64: 0, int32: 0, uint64: 0, uint32: 0, bool: 0, double: 1, float: 5, fixed32: 5, fixed64: 1, string: 2, bytes: 2 };

function notOnnx(source: string, problem: string): XcnnError {
  return new XcnnError(`${source}: not a valid ONNX file: ${problem}`, { code: 'ERR_BAD_MODEL' });
}

/** The file's ModelProto, after the structural walk. */
export function decodeOnnxFile(bytes: Uint8Array, source: string): OnnxModel {
  if (bytes.length === 0) throw notOnnx(source, 'the file is empty');
  checkStructure(bytes, source);
  try {
    // As plain objects: a field the file leaves out is undefined (a decoded message has null for it), int64s are numbers.
    return MODEL_PROTO.toObject(MODEL_PROTO.decode(bytes), { longs: Number }) as OnnxModel;
  } catch (error) {
    // The walk has checked what could go wrong; this is a last guard, still one line.
    throw notOnnx(source, error instanceof Error ? error.message : String(error));
  }
}

/** A ModelProto's bytes. */
export function encodeOnnxFile(model: OnnxModel): Uint8Array {
  return MODEL_PROTO.encode(MODEL_PROTO.fromObject(model as Record<string, unknown>)).finish();
}

/** Walks the message structure (see the file's comment); throws one line at the first problem. */
function checkStructure(bytes: Uint8Array, source: string): void {
  const reader = protobuf.Reader.create(bytes);
  let fields = 0;
  const count = (n: number) => {
    fields += n;
    if (fields > MAX_FIELDS) throw notOnnx(source, `more than ${MAX_FIELDS} fields in its graph, far more than a small CNN's: not a model xcnn can run`);
  };
  const walk = (type: protobuf.Type, end: number): void => {
    while (reader.pos < end) {
      const at = reader.pos;
      const tag = readVarint(reader, end, source);
      const id = tag >>> 3;
      const wireType = tag & 7;
      if (id === 0) throw notOnnx(source, `field number 0 at byte ${at}`);
      const field = type.fieldsById[id];
      if (wireType === 3 || wireType === 4 || wireType > 5) throw notOnnx(source, `wire type ${wireType} at byte ${at} (a group or no protobuf type)`);
      if (wireType === 2) {
        const length = readVarint(reader, end, source);
        const start = reader.pos;
        if (length > end - start) throw notOnnx(source, `a field at byte ${at} claims ${length} bytes, but only ${end - start} remain in its message`);
        if (field !== undefined) {
          const resolved = field.resolve().resolvedType;
          if (resolved instanceof protobuf.Type) walk(resolved, start + length);
          else if (field.repeated && (field.type === 'int64' || field.type === 'float')) count(packedCount(bytes, start, length, field.type));
          else if (WIRE_TYPE[field.type] !== 2) throw notOnnx(source, `field '${field.name}' of ${type.name} at byte ${at} is length-delimited, expected a ${field.type}`);
        }
        reader.pos = start + length;
      } else {
        if (field !== undefined && WIRE_TYPE[field.type] !== wireType) throw notOnnx(source, `field '${field.name}' of ${type.name} at byte ${at} has wire type ${wireType}, expected that of a ${field.type}`);
        const size = wireType === 0 ? 0 : wireType === 1 ? 8 : 4;
        if (size === 0) readVarint(reader, end, source);
        else if (size > end - reader.pos) throw notOnnx(source, `a ${size}-byte field at byte ${at} runs past the end of its message`);
        else reader.pos += size;
      }
      if (field !== undefined) count(1);
    }
    if (reader.pos !== end) throw notOnnx(source, `a message ends at byte ${reader.pos}, past its length`);
  };
  walk(MODEL_PROTO, bytes.length);
}

/** A varint (at most 10 bytes) that must end before `end`; its value (to 2⁵³, enough for tags and lengths). */
function readVarint(reader: protobuf.Reader, end: number, source: string): number {
  const at = reader.pos;
  let value = 0;
  let scale = 1;
  for (let k = 0; k < 10; k++) {
    if (reader.pos >= end) throw notOnnx(source, `the file ends inside a number at byte ${at}${end < reader.len ? ' (inside its message)' : ''}`);
    const byte = reader.buf[reader.pos++];
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return value;
  }
  throw notOnnx(source, `a number at byte ${at} is longer than 10 bytes`);
}

/** The elements in a packed run of `type` (varints end at a byte below 0x80; floats are 4 bytes each). */
function packedCount(bytes: Uint8Array, start: number, length: number, type: string): number {
  if (type === 'float') return Math.ceil(length / 4);
  let elements = 0;
  for (let k = start; k < start + length; k++) if (bytes[k] < 0x80) elements++;
  return elements;
}
