/**
 * The part of the ONNX format xcnn reads and writes, as protobufjs reflection types. ONNX files are one
 * protobuf message, a ModelProto (onnx/onnx.proto in the ONNX repository); the field numbers below are the
 * format's, the names ours (camelCase, as protobufjs gives them to JavaScript). What is left out is skipped
 * on reading, unread: sub-graphs (If, Loop), sparse tensors, training information, functions, quantisation
 * annotations and documentation strings.
 *
 *   ModelProto        the file: the IR version, the operator sets it imports, the graph, metadata_props
 *   GraphProto        the nodes (in topological order), the initializers (the weights), inputs and outputs
 *   NodeProto         one operator: op_type, its inputs and outputs by value name, its attributes
 *   AttributeProto    a named constant of a node: a float, an int, a string, a tensor, or lists of them
 *   TensorProto       dims, data_type, and the elements in raw_data (little-endian) or a typed field
 *   ValueInfoProto    a value's name and type: element type and shape (a dimension is a number or a name)
 *
 * Two departures from the schema, both about memory. The typed element fields (float_data, int32_data,
 * int64_data, double_data, uint64_data) are declared `packed` in onnx.proto, so on the wire each is one or
 * more length-delimited runs: they are read here as those runs of bytes (views into the file, nothing copied)
 * and decoded into a typed array by onnx-tensors.ts, instead of becoming a JavaScript array of numbers (or a
 * Long object per int64) as protobufjs would make them. And no message of the subset contains itself, so
 * decoding never recurses deeper than the schema (ModelProto → GraphProto → NodeProto → AttributeProto →
 * TensorProto).
 *
 * int64 fields decode to long.js Long objects (protobufjs's choice when long.js is present, as it is as its
 * dependency) or to numbers; `int64Value` takes either.
 */
import protobuf from 'protobufjs/light.js';

/** TensorProto.DataType: the element types xcnn reads (any float type, converted to float32), shape tensors' ints and flags' BOOL. */
export const DATA_TYPE = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11, BFLOAT16: 16 } as const;

/** AttributeProto.AttributeType. */
export const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

/** An int64 as protobufjs gives it: a number, or a long.js Long ({ low, high } 32-bit halves). */
export type Int64 = number | { low: number; high: number; unsigned?: boolean };

export interface OnnxTensor {
  dims?: Int64[];
  dataType?: number;
  name?: string;
  rawData?: Uint8Array;
  floatData?: Uint8Array[]; // packed runs of float32 (little-endian)
  int32Data?: Uint8Array[]; // packed runs of varints
  int64Data?: Uint8Array[]; // packed runs of varints
  doubleData?: Uint8Array[]; // packed runs of float64
  dataLocation?: number; // 1: EXTERNAL
  externalData?: OnnxEntry[];
}

export interface OnnxAttribute {
  name?: string;
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: OnnxTensor;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
}

export interface OnnxNode {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute?: OnnxAttribute[];
}

export interface OnnxDimension {
  dimValue?: Int64;
  dimParam?: string;
}

export interface OnnxValueInfo {
  name?: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: OnnxDimension[] } } };
}

export interface OnnxGraph {
  node?: OnnxNode[];
  name?: string;
  initializer?: OnnxTensor[];
  input?: OnnxValueInfo[];
  output?: OnnxValueInfo[];
}

export interface OnnxEntry {
  key?: string;
  value?: string;
}

export interface OnnxModel {
  irVersion?: Int64;
  opsetImport?: Array<{ domain?: string; version?: Int64 }>;
  producerName?: string;
  producerVersion?: string;
  graph?: OnnxGraph;
  metadataProps?: OnnxEntry[];
}

const repeated = (type: string, id: number, packed?: boolean) => ({ rule: 'repeated', type, id, ...(packed === undefined ? {} : { options: { packed } }) });
const field = (type: string, id: number) => ({ type, id });

/** The subset, in protobufjs's JSON form: `{ field: { type, id } }` per message (proto2: unpacked ints unless onnx.proto packs them). */
const SCHEMA = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: field('int64', 1),
            producerName: field('string', 2),
            producerVersion: field('string', 3),
            domain: field('string', 4),
            modelVersion: field('int64', 5),
            graph: field('GraphProto', 7),
            opsetImport: repeated('OperatorSetIdProto', 8),
            metadataProps: repeated('StringStringEntryProto', 14),
          },
        },
        OperatorSetIdProto: { fields: { domain: field('string', 1), version: field('int64', 2) } },
        StringStringEntryProto: { fields: { key: field('string', 1), value: field('string', 2) } },
        GraphProto: {
          fields: {
            node: repeated('NodeProto', 1),
            name: field('string', 2),
            initializer: repeated('TensorProto', 5),
            input: repeated('ValueInfoProto', 11),
            output: repeated('ValueInfoProto', 12),
          },
        },
        NodeProto: {
          fields: {
            input: repeated('string', 1),
            output: repeated('string', 2),
            name: field('string', 3),
            opType: field('string', 4),
            attribute: repeated('AttributeProto', 5),
            domain: field('string', 7),
          },
        },
        AttributeProto: {
          fields: {
            name: field('string', 1),
            f: field('float', 2),
            i: field('int64', 3),
            s: field('bytes', 4),
            t: field('TensorProto', 5),
            floats: repeated('float', 7, false),
            ints: repeated('int64', 8, false),
            strings: repeated('bytes', 9),
            type: field('int32', 20),
          },
        },
        TensorProto: {
          fields: {
            dims: repeated('int64', 1, false),
            dataType: field('int32', 2),
            floatData: repeated('bytes', 4),
            int32Data: repeated('bytes', 5),
            int64Data: repeated('bytes', 7),
            name: field('string', 8),
            rawData: field('bytes', 9),
            doubleData: repeated('bytes', 10),
            externalData: repeated('StringStringEntryProto', 13),
            dataLocation: field('int32', 14),
          },
        },
        ValueInfoProto: { fields: { name: field('string', 1), type: field('TypeProto', 2) } },
        TypeProto: {
          fields: { tensorType: field('TensorTypeProto', 1) },
        },
        TensorTypeProto: { fields: { elemType: field('int32', 1), shape: field('TensorShapeProto', 2) } },
        TensorShapeProto: { fields: { dim: repeated('Dimension', 1) } },
        Dimension: { fields: { dimValue: field('int64', 1), dimParam: field('string', 2) } },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(SCHEMA);

/** The ModelProto type: `decode` a file's bytes, `encode` a model. */
export const MODEL_PROTO = root.lookupType('onnx.ModelProto');

/** An int64 field as a number; `null` when it is beyond ±2⁵³ (no size or index of a small CNN is). */
export function int64Value(value: Int64 | undefined | null): number | null {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  // A Long holds two 32-bit halves; the high one is signed unless the Long is unsigned.
  const high = value.unsigned ? value.high >>> 0 : value.high | 0;
  const number = high * 2 ** 32 + (value.low >>> 0);
  return Number.isSafeInteger(number) ? number : null;
}
