/**
 * The random specs of 'xcnn/testing' (src/testing/specs.ts) on draws chosen by hand: each layer worked out here
 * from the draw's numbers — the kind (draw.kind modulo the kinds that fit the shape), the arguments (draw modulo
 * the option's bound), PyTorch's output sizes, the parameter counts, the names and both spellings — so the
 * arbitraries the property tests rely on are themselves checked against numbers, not against spec.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildSpec, convOut, poolOut, randomSpecs, respelled } from '../src/testing/specs.js';
import { errorOf } from './errors.js';

const draw = (kind: number, a = 0, b = 0, c = 0, d = 0) => ({ kind, a, b, c, d });

describe('buildSpec, draw by draw', () => {
  it('turns ten draws into the layers they name, on a [2, 7, 6] input', () => {
    const spec = buildSpec({ channels: 2, height: 7, width: 6, classes: 3 }, [
      // The 8 kinds that fit a [C, H, W] shape: conv, maxpool, avgpool, gap, bn, relu, dropout, flatten.
      draw(0, 4, 5, 1, 1), // conv: pad 1 % 3 = 1, kernel 1 + 5 % min(4, 9, 8) = 2, stride 1 + 1 % 3 = 2, out 1 + 4 % 3 = 2
      draw(1, 0, 1, 0, 2), // maxpool: kernel 1 + 1 % min(3, 4, 4) = 2, stride 1 + 2 % 3 = 3
      draw(2, 0, 5, 0, 0), // avgpool: kernel 1 + 5 % min(3, 1, 1) = 1, stride 1
      draw(4), // bn
      draw(6, 7), // dropout: p = (7 % 10) / 20 = 0.35
      draw(7), // flatten
      // The 5 kinds that fit a flat shape: bn, relu, dropout, flatten, linear.
      draw(4, 5), // linear: out 1 + 5 % 3 = 3
      draw(3), // flatten again: its own ordinal
      draw(1), // relu
      draw(10), // 10 % 5 = 0: bn
    ]);
    expect(spec.layers.map(({ kind, args, explicit, canonical, name, index, inputShape, outputShape, parameters }) => [kind, args, explicit, canonical, name, index, inputShape, outputShape, parameters])).toEqual([
      ['conv', { out: 2, kernel: 2, stride: 2, pad: 1 }, 'conv(2,2,stride=2,pad=1)', 'conv(2,2,stride=2,pad=1)', 'conv1', 0, [2, 7, 6], [2, 4, 4], 2 * 2 * 2 * 2 + 2],
      ['maxpool', { kernel: 2, stride: 3 }, 'maxpool(2,stride=3)', 'maxpool(2,stride=3)', 'pool1', 1, [2, 4, 4], [2, 1, 1], 0],
      ['avgpool', { kernel: 1, stride: 1 }, 'avgpool(1,stride=1)', 'avgpool(1)', 'pool2', 2, [2, 1, 1], [2, 1, 1], 0],
      ['bn', {}, 'bn', 'bn', 'bn1', 3, [2, 1, 1], [2, 1, 1], 4],
      ['dropout', { p: 0.35 }, 'dropout(0.35)', 'dropout(0.35)', 'dropout1', 4, [2, 1, 1], [2, 1, 1], 0],
      ['flatten', {}, 'flatten', 'flatten', 'flatten', 5, [2, 1, 1], [2], 0],
      ['linear', { out: 3 }, 'linear(3)', 'linear(3)', 'fc1', 6, [2], [3], 3 * 2 + 3],
      ['flatten', {}, 'flatten', 'flatten', 'flatten2', 7, [3], [3], 0],
      ['relu', {}, 'relu', 'relu', 'relu1', 8, [3], [3], 0],
      ['bn', {}, 'bn', 'bn', 'bn2', 9, [3], [3], 6],
      ['linear', { out: 3 }, 'linear(3)', 'linear(3)', 'fc2', 10, [3], [3], 3 * 3 + 3],
    ]);
    expect(spec.explicit).toBe('conv(2,2,stride=2,pad=1) maxpool(2,stride=3) avgpool(1,stride=1) bn dropout(0.35) flatten linear(3) flatten relu bn linear(3)');
    expect(spec.canonical).toBe('conv(2,2,stride=2,pad=1) maxpool(2,stride=3) avgpool(1) bn dropout(0.35) flatten linear(3) flatten relu bn linear(3)');
    expect(spec.parameters).toBe(18 + 4 + 9 + 6 + 12);
    expect(spec.geometry).toEqual({ channels: 2, height: 7, width: 6, classes: 3 });
  });

  it('leaves stride 1 and pad 0 out of the canonical conv, and closes a spatial shape with a flatten before the classes\' linear', () => {
    const spec = buildSpec({ channels: 1, height: 3, width: 3, classes: 2 }, [
      draw(0, 1, 2, 0, 0), // conv: pad 0, kernel 1 + 2 % min(4, 3, 3) = 3, stride 1, out 1 + 1 % 3 = 2
      draw(3), // gap
      draw(5), // relu
    ]);
    expect(spec.explicit).toBe('conv(2,3,stride=1,pad=0) gap relu flatten linear(2)');
    expect(spec.canonical).toBe('conv(2,3) gap relu flatten linear(2)');
    expect(spec.layers.map((l) => l.outputShape)).toEqual([[2, 1, 1], [2, 1, 1], [2, 1, 1], [2], [2]]);
    expect(spec.layers.map((l) => l.name)).toEqual(['conv1', 'gap1', 'relu1', 'flatten', 'fc1']);
    expect(spec.parameters).toBe(2 * 1 * 3 * 3 + 2 + 2 * 2 + 2);
  });

  it('writes a conv\'s stride without its pad, or its pad without its stride, in the canonical form', () => {
    expect(buildSpec({ channels: 1, height: 5, width: 5, classes: 1 }, [draw(0, 0, 0, 0, 1)]).canonical).toBe('conv(1,1,stride=2) flatten linear(1)');
    expect(buildSpec({ channels: 1, height: 5, width: 5, classes: 1 }, [draw(0, 0, 0, 2, 0)]).canonical).toBe('conv(1,1,pad=2) flatten linear(1)');
  });

  it('keeps each argument under its option\'s bound: maxChannels, maxKernel, maxPadding and maxStride', () => {
    const options = { maxChannels: 5, maxKernel: 2, maxPadding: 0, maxStride: 1 };
    // out 1 + 9 % 5 = 5, kernel 1 + 9 % min(2, 4, 4) = 2, pad 9 % 1 = 0, stride 1 + 9 % 1 = 1.
    const conv = buildSpec({ channels: 1, height: 4, width: 4, classes: 2 }, [draw(0, 9, 9, 9, 9)], options).layers[0];
    expect(conv.args).toEqual({ out: 5, kernel: 2, stride: 1, pad: 0 });
    expect(conv.outputShape).toEqual([5, convOut(4, 2, 1, 0), convOut(4, 2, 1, 0)]);
    // A flat linear layer's width: 1 + 9 % 5.
    expect(buildSpec({ channels: 1, height: 1, width: 1, classes: 2 }, [draw(7), draw(4, 9)], options).layers[1].args).toEqual({ out: 5 });
    // The pool's kernel is bounded by 3 and the shape, its stride by maxStride.
    const pool = buildSpec({ channels: 1, height: 8, width: 8, classes: 2 }, [draw(1, 0, 8, 0, 8)], { maxStride: 4 }).layers[0];
    expect(pool.args).toEqual({ kernel: 1 + (8 % 3), stride: 1 + (8 % 4) });
    expect(pool.outputShape).toEqual([1, poolOut(8, 3, 1), poolOut(8, 3, 1)]);
  });

  it('draws only the kinds given, skipping a draw when none of them fits the shape', () => {
    const spec = buildSpec({ channels: 1, height: 2, width: 2, classes: 2 }, [draw(0), draw(1, 1)], { kinds: ['linear'] });
    expect(spec.explicit).toBe('flatten linear(2)');
    const relus = buildSpec({ channels: 1, height: 2, width: 2, classes: 2 }, [draw(3), draw(8)], { kinds: ['relu', 'flatten'] });
    // Spatial: relu, flatten (draw 3 % 2 = 1: flatten); flat: relu, flatten (8 % 2 = 0: relu).
    expect(relus.explicit).toBe('flatten relu linear(2)');
  });

  it('refuses a geometry, draws or options of the wrong kind, naming the argument', () => {
    expect(errorOf(() => buildSpec(null as never, [])).message).toMatch(/^buildSpec: geometry must be /);
    expect(errorOf(() => buildSpec({ channels: 1, height: 1, width: 1, classes: 1 }, 'draws' as never)).message).toBe('buildSpec: draws must be an array of layer draws, not string');
    expect(errorOf(() => buildSpec({ channels: 1, height: 1, width: 1, classes: 1 }, [], 3 as never)).message).toMatch(/^buildSpec: options must be /);
  });
});

describe('convOut and poolOut: PyTorch\'s output sizes', () => {
  it('⌊(H + 2P − K)/S⌋ + 1 and ⌊(H − K)/S⌋ + 1, worked out', () => {
    expect(convOut(28, 5, 1, 0)).toBe(24);
    expect(convOut(7, 2, 2, 1)).toBe(4); // ⌊7/2⌋ + 1
    expect(convOut(5, 3, 2, 1)).toBe(3); // ⌊4/2⌋ + 1
    expect(poolOut(24, 2, 2)).toBe(12);
    expect(poolOut(7, 3, 2)).toBe(3); // ⌊4/2⌋ + 1
    expect(poolOut(4, 2, 3)).toBe(1); // ⌊2/3⌋ + 1
  });

  it('refuses an argument that is not a number, naming it', () => {
    expect(errorOf(() => convOut(28, 5, '1' as never, 0)).message).toMatch(/^convOut: stride must be /);
    expect(errorOf(() => convOut(28, 5, 1, null as never)).message).toMatch(/^convOut: padding must be /);
    expect(errorOf(() => poolOut(28, undefined as never, 2)).message).toMatch(/^poolOut: kernel must be /);
    expect(errorOf(() => poolOut('a' as never, 2, 2)).message).toMatch(/^poolOut: size must be /);
  });
});

describe('randomSpecs and respelled', () => {
  it('draw geometries within the bounds asked for, and at most maxLayers random layers', () => {
    fc.assert(
      fc.property(randomSpecs({ maxSize: 4, maxChannels: 2, maxLayers: 2 }), (spec) => {
        const { channels, height, width, classes } = spec.geometry;
        expect(channels >= 1 && channels <= 2 && height >= 1 && height <= 4 && width >= 1 && width <= 4 && classes >= 1 && classes <= 5).toBe(true);
        expect(spec.layers.length).toBeLessThanOrEqual(2 + 2); // the random ones, a closing flatten, the classes' linear
        expect(spec.layers.at(-1)!.outputShape).toEqual([classes]);
      }),
      { numRuns: 60 },
    );
  });

  it('respelled: the same layers, each in one of its two forms, with its words in any case and whitespace anywhere', () => {
    const spec = buildSpec({ channels: 1, height: 5, width: 5, classes: 2 }, [draw(0, 0, 1, 1, 1), draw(1, 0, 1, 0, 1)]);
    // conv(1,2,stride=2,pad=1) → [1, 3, 3]; maxpool(2) (stride 1 + 1 % 3 = 2: canonical without its stride).
    expect(spec.explicit).toBe('conv(1,2,stride=2,pad=1) maxpool(2,stride=2) flatten linear(2)');
    fc.assert(
      fc.property(respelled(spec), (text) => {
        const squeezed = text.replace(/\s+/g, '').toLowerCase();
        expect(['conv(1,2,stride=2,pad=1)']).toContain(squeezed.slice(0, squeezed.indexOf(')') + 1));
        expect(squeezed.endsWith('flattenlinear(2)')).toBe(true);
        expect(squeezed).toMatch(/^conv\(1,2,stride=2,pad=1\)maxpool\(2(,stride=2)?\)flattenlinear\(2\)$/);
      }),
      { numRuns: 100 },
    );
    // Both forms turn up, and the words in other cases.
    const samples = fc.sample(respelled(spec), { numRuns: 200, seed: 1 });
    expect(samples.some((t) => /maxpool\s*\(\s*2\s*\)/i.test(t))).toBe(true);
    expect(samples.some((t) => /stride\s*=\s*2\s*\)\s+flatten/i.test(t))).toBe(true);
    expect(samples.some((t) => /[A-Z]/.test(t))).toBe(true);
    expect(samples.some((t) => /\(\s+1|1\s+,/.test(t))).toBe(true);
    expect(errorOf(() => respelled({} as never)).message).toMatch(/^respelled: spec\.geometry must be /);
  });

  it('respelled: puts each of its five spacings (space, two spaces, tab, newline, space-tab-space) around the arguments', () => {
    const spec = buildSpec({ channels: 1, height: 5, width: 5, classes: 2 }, [draw(0, 0, 1, 1, 1)]);
    // The spacing inside a layer's text is one draw each: the whitespace next to '(', ',', '=' or ')' (a run after
    // ')' is the spacing between layers, drawn from another list).
    const runs = new Set<string>();
    for (const text of fc.sample(respelled(spec), { numRuns: 300, seed: 7 })) {
      for (const match of text.matchAll(/(?<![)\s])(\s+)(?=[(),=])|(?<=[(,=])(\s+)/g)) runs.add(match[1] ?? match[2]);
    }
    expect([...runs].sort()).toEqual(['\t', '\n', ' ', ' \t ', '  '].sort());
  });
});
