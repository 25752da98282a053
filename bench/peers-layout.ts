/**
 * The shared initial weights in channels-last tools' layout (TensorFlow.js, ConvNetJS keep images as
 * [H, W, C]): xcnn and PyTorch keep a convolution's weight as [out, in, K, K] and a linear's as [out, in],
 * and flatten [C, H, W] in that order. So, for the same network with the same numbers:
 *
 *   conv weight   [O, I, K, K] → [K, K, I, O]
 *   linear weight [O, In]      → [In, O], and for the first linear after a flatten of [C, H, W] its
 *                                 rows permuted: channels-last row (h·W + w)·C + c is channels-first column c·H·W + h·W + w
 *   bias, batch norm           unchanged
 *
 * One entry of `layers` per spec layer (its kind and its input shape from planNetwork) drives which rule applies.
 */

export interface LayoutLayer {
  kind: string; // conv, linear, flatten, …
  inputShape: number[]; // [C, H, W] or [features]
  parameterCount: number; // how many of the parameter list are this layer's (conv, linear: 2; bn: 2; others 0)
}

/** [O, I, K, K] → [K, K, I, O]. */
export function convToChannelsLast(weight: Float32Array, [out, inputs, kh, kw]: number[]): Float32Array {
  const result = new Float32Array(weight.length);
  for (let o = 0; o < out; o++)
    for (let i = 0; i < inputs; i++)
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) result[((y * kw + x) * inputs + i) * out + o] = weight[((o * inputs + i) * kh + y) * kw + x];
  return result;
}

/** [O, In] → [In, O], the rows in channels-last order of a flattened [C, H, W] when `flattened` is given. */
export function linearToChannelsLast(weight: Float32Array, [out, inputs]: number[], flattened: number[] | null): Float32Array {
  const result = new Float32Array(weight.length);
  const [c0, h0, w0] = flattened ?? [inputs, 1, 1];
  for (let o = 0; o < out; o++)
    for (let c = 0; c < c0; c++)
      for (let h = 0; h < h0; h++)
        for (let w = 0; w < w0; w++) result[((h * w0 + w) * c0 + c) * out + o] = weight[o * inputs + (c * h0 + h) * w0 + w];
  return result;
}

/** Every parameter in channels-last layout, in the same order. */
export function channelsLastParameters(layers: LayoutLayer[], parameters: { shape: number[] }[], values: Float32Array[]): Float32Array[] {
  const result: Float32Array[] = [];
  let flattened: number[] | null = null;
  for (const layer of layers) {
    if (layer.kind === 'flatten' && layer.inputShape.length === 3) flattened = layer.inputShape;
    for (let k = 0; k < layer.parameterCount; k++) {
      const at = result.length;
      const { shape } = parameters[at];
      if (layer.kind === 'conv' && k === 0) result.push(convToChannelsLast(values[at], shape));
      else if (layer.kind === 'linear' && k === 0) {
        result.push(linearToChannelsLast(values[at], shape, flattened));
        flattened = null;
      } else result.push(values[at]);
    }
  }
  return result;
}
