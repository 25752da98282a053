/**
 * Errors for a library: XcnnError's stable codes and exit statuses, messages in the API's terms (an option
 * by its name, never a flag), and the one mapping by which the command line words an option's error in
 * its flag (src/cli/flag-wording.ts).
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { abortError, ERROR_CODES, optionError, usageError, XcnnError } from '../src/errors.js';
import { FLAG_OF_OPTION, inFlagWording } from '../src/cli/flag-wording.js';
import { explainedLayer } from '../src/explain/explained-layer.js';
import { methodByName } from '../src/explain/methods/by-name.js';
import { pearsonCorrelation } from '../src/faithfulness/rank-correlation.js';
import { ssim } from '../src/faithfulness/ssim.js';
import { createNetwork } from '../src/model/network.js';
import { checkThreads } from '../src/parallel/thread-pool.js';
import { confusionMatrixPng, trainingCurvesPng } from '../src/render/pictures.js';
import { errorOf } from './errors.js';

describe('XcnnError', () => {
  it('has a code from the documented list, and an exit status that follows it unless given', () => {
    expect(ERROR_CODES).toEqual(['ERR_BAD_ARGUMENT', 'ERR_BAD_MODEL', 'ERR_BAD_DATA', 'ERR_BAD_IMAGE', 'ERR_FILE', 'ERR_ABORTED', 'ERR_DISPOSED', 'ERR_DIVERGED', 'ERR_OUT_OF_MEMORY', 'ERR_SETUP']);
    expect([new XcnnError('m', { code: 'ERR_BAD_ARGUMENT' }).exitCode, new XcnnError('m', { code: 'ERR_FILE' }).exitCode]).toEqual([2, 1]);
    expect([new XcnnError('m', { exitCode: 2 }).code, new XcnnError('m').code, new XcnnError('m', { exitCode: 1 }).code]).toEqual(['ERR_BAD_ARGUMENT', 'ERR_BAD_DATA', 'ERR_BAD_DATA']);
    expect(new XcnnError('m', { code: 'ERR_SETUP', exitCode: 2 }).exitCode).toBe(2);
    const error = new XcnnError('m', { code: 'ERR_FILE' });
    expect([error.name, error.message, error instanceof Error, error.option]).toEqual(['XcnnError', 'm', true, undefined]);
  });

  it('usageError is ERR_BAD_ARGUMENT with exit 2; optionError names its option', () => {
    const usage = usageError('bad');
    expect([usage.code, usage.exitCode, usage.option, usage.message]).toEqual(['ERR_BAD_ARGUMENT', 2, undefined, 'bad']);
    const option = optionError('layer', "layer: 'x' is not a conv block");
    expect([option.code, option.exitCode, option.option, option.message]).toEqual(['ERR_BAD_ARGUMENT', 2, 'layer', "layer: 'x' is not a conv block"]);
  });

  it('an abort is an AbortError with code ERR_ABORTED, naming the call, with the signal\'s reason as its cause', () => {
    const controller = new AbortController();
    controller.abort('enough');
    const error = abortError('explain', controller.signal);
    expect([error.name, error.code, error.exitCode, error.message, error.cause]).toEqual(['AbortError', 'ERR_ABORTED', 1, 'explain: aborted', 'enough']);
  });
});

describe('messages in the API\'s terms', () => {
  const network = createNetwork(new ReferenceBackend(), 'conv(2,3) relu maxpool(2) flatten linear(3)', { channels: 1, height: 8, width: 8, classes: 3 });

  it('an unknown method, layer or thread count names the option, not a flag, and says which it is', () => {
    const cases: Array<[() => unknown, string, string]> = [
      [() => methodByName('magic'), 'method', "method: 'magic' is not one of grad-cam"],
      [() => explainedLayer(network, 'fc9'), 'layer', "layer: 'fc9' is not a conv block of this network; the choices are relu1 (or conv1)"],
      [() => checkThreads(0, 'wasm'), 'threads', 'threads: 0 is not a whole number from 1 to '],
      [() => checkThreads(2, 'ts'), 'threads', 'threads 2 needs the wasm backend; the ts reference runs on one thread'],
    ];
    for (const [call, option, start] of cases) {
      const error = errorOf(call);
      expect([error.code, error.exitCode, error.option]).toEqual(['ERR_BAD_ARGUMENT', 2, option]);
      expect(error.message.startsWith(start), error.message).toBe(true);
      expect(error.message).not.toMatch(/--/);
    }
  });

  it('the pictures and measures refuse a bad argument with ERR_BAD_ARGUMENT, not a RangeError', () => {
    const cases: Array<[() => unknown, string]> = [
      [() => pearsonCorrelation([1, 2], [1]), 'pearsonCorrelation: samples of 2 and 1 values; give two samples of one length'],
      [() => ssim([0, 1], [0, 1, 2], 1, 2), 'ssim: maps of 2 and 3 values for 1 × 2; give two maps of height × width values'],
      [() => trainingCurvesPng([]), 'training curves: the history has no epochs to draw'],
      [() => confusionMatrixPng(Array.from({ length: 501 }, () => new Array(501).fill(0)), Array.from({ length: 501 }, (_, k) => String(k))), 'confusion matrix figure: 501 classes, more than the 500 it draws; print the matrix (formatConfusionMatrix) instead'],
    ];
    for (const [call, message] of cases) {
      const error = errorOf(call);
      expect([error.code, error.message]).toEqual(['ERR_BAD_ARGUMENT', message]);
    }
  });
});

describe('the command line\'s flag wording (cli/flag-wording.ts)', () => {
  it('maps each option the commands pass on to its flag', () => {
    expect(FLAG_OF_OPTION).toEqual({ arch: 'arch', input: 'input', layer: 'layer', method: 'method', threads: 'threads', learningRate: 'lr' });
  });

  it('spells the option as its flag where the message uses it as a word', () => {
    const word = (option: string, message: string) => inFlagWording(new XcnnError(message, { code: 'ERR_BAD_ARGUMENT', option }));
    expect(word('layer', "layer: 'fc9' is not a conv block")).toBe("--layer: 'fc9' is not a conv block");
    expect(word('threads', 'threads 2 needs the wasm backend; the ts reference runs on one thread')).toBe('--threads 2 needs the wasm backend; the ts reference runs on one thread');
    expect(word('arch', 'm.safetensors: the file\'s architecture is A, but arch says B: leave arch out')).toBe('m.safetensors: the file\'s architecture is A, but --arch says B: leave --arch out');
    expect(word('arch', "no 'arch' metadata (give arch, a spec, for a state_dict)")).toBe("no 'arch' metadata (give --arch, a spec, for a state_dict)");
    expect(word('learningRate', 'try a smaller learningRate')).toBe('try a smaller --lr');
    // Not inside a path, another word or a quoted name.
    expect(word('arch', '/data/arch/m.safetensors: archive arch')).toBe('/data/arch/m.safetensors: archive --arch');
  });

  it('leaves a message alone when its error names no option, or one without a flag', () => {
    expect(inFlagWording(new XcnnError('layer: x'))).toBe('layer: x');
    expect(inFlagWording(new XcnnError('targets: 3 is not a class', { option: 'targets' }))).toBe('targets: 3 is not a class');
  });
});
