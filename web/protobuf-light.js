// web/protobuf-light.js — 'protobufjs/light.js' for the page (web/index.html's import map sends the ONNX
// modules' bare import here): protobufjs's browser build (served as web/vendor/protobuf.min.js, loaded by
// a classic <script> in index.html before any module runs) sets globalThis.protobuf, which this module
// exports as the package's default export, as Node's import gives it. Without it, ONNX in and out is off.
const protobuf = globalThis.protobuf;
if (protobuf === undefined) throw new Error('protobufjs did not load (web/vendor/protobuf.min.js); ONNX files cannot be read or written in this page');
export default protobuf;
