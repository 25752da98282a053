/**
 * `xcnn/testing`: the fast-check arbitraries xcnn's own tests use, for property tests of your own layers,
 * pipelines and models — random architecture specs that shape-check (with each layer's expected shape,
 * parameter count and name worked out independently of xcnn's planner), tensors, images, image sets and
 * data sets. Needs fast-check (a peer dependency: `npm install --save-dev fast-check`).
 *
 * The gradient checks themselves (gradcheck, checkGradient, compareWithReference) are in the main entry.
 */
export { buildSpec, convOut, poolOut, randomSpecs, respelled, type ExpectedLayer, type RandomSpec, type SpecOptions } from './testing/specs.js';
export { datasets, images, imageSets, imageShapes, tensors, type ImageSetOptions, type ImageShapeOptions, type TensorOptions } from './testing/data.js';
