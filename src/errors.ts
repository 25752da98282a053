/**
 * The one error type xcnn throws for anything a user can fix: a bad file, a bad flag, a bad shape.
 * Its message names the input and the problem (and, where there is one, the fix); the CLI prints it
 * on one line and exits with `exitCode` — 2 for usage errors, 1 for bad data — never with a stack trace.
 *
 * A program tells the kinds apart by `code`, which stays the same from release to release (the message
 * may be reworded):
 *
 *   ERR_BAD_ARGUMENT  an argument, option or flag of the wrong kind or out of range: an index, a class,
 *                     a thread count, an unknown method or layer name, an unknown option
 *   ERR_BAD_MODEL     a model (or checkpoint) file that is not one xcnn can load, or a model that cannot do
 *                     what is asked of it (a CAM method on a network without a convolution)
 *   ERR_BAD_DATA      a data set: an IDX file that is truncated or inconsistent, labels out of range, an
 *                     empty set
 *   ERR_BAD_IMAGE     images that do not fit their shape or the model: a pixel array of the wrong length,
 *                     a shape that is not the model's, a value that is not finite, a PNG that cannot be read
 *   ERR_FILE          a file or folder that cannot be read or written: missing, a folder where a file
 *                     should be, no permission
 *   ERR_ABORTED       the AbortSignal given to the call fired; the error's `name` is 'AbortError' (as
 *                     fetch's and Node's own) and its `cause` the signal's reason
 *   ERR_DISPOSED      a classifier or thread pool used after close()
 *   ERR_DIVERGED      training stopped because the loss became NaN or infinite
 *   ERR_OUT_OF_MEMORY the wasm backend's memory is full (or cannot grow): dispose what is no longer used,
 *                     or use smaller batches
 *   ERR_SETUP         the installation or the engine: the kernels not built, no WebAssembly, a worker
 *                     thread that cannot start or that failed
 *
 * Messages speak the library's terms: an option by its name (`layer: 'relu9' is not a conv block…`),
 * never a command-line flag. An error about one option names it in `option` too; the command line words
 * such an error in its flags (src/cli/flag-wording.ts: `layer` → `--layer`).
 *
 * Without a code, a usage error (exit 2) is ERR_BAD_ARGUMENT and any other ERR_BAD_DATA; with a code and
 * no exit status, ERR_BAD_ARGUMENT exits 2 and the others 1.
 */
export const ERROR_CODES = [
  'ERR_BAD_ARGUMENT',
  'ERR_BAD_MODEL',
  'ERR_BAD_DATA',
  'ERR_BAD_IMAGE',
  'ERR_FILE',
  'ERR_ABORTED',
  'ERR_DISPOSED',
  'ERR_DIVERGED',
  'ERR_OUT_OF_MEMORY',
  'ERR_SETUP',
] as const;

export type XcnnErrorCode = (typeof ERROR_CODES)[number];

export class XcnnError extends Error {
  readonly exitCode: 1 | 2;
  readonly code: XcnnErrorCode;
  /** The option the error is about, as the API spells it ('layer', 'threads', 'arch'), when it is about one. */
  readonly option?: string;

  constructor(message: string, options: { exitCode?: 1 | 2; code?: XcnnErrorCode; option?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'XcnnError';
    this.exitCode = options.exitCode ?? (options.code === 'ERR_BAD_ARGUMENT' ? 2 : 1);
    this.code = options.code ?? (this.exitCode === 2 ? 'ERR_BAD_ARGUMENT' : 'ERR_BAD_DATA');
    if (options.option !== undefined) this.option = options.option;
  }
}

/** A usage error: a bad flag, a missing argument, a value out of range (exit status 2, ERR_BAD_ARGUMENT). */
export function usageError(message: string): XcnnError {
  return new XcnnError(message, { exitCode: 2 });
}

/** A bad value of the option `option` (ERR_BAD_ARGUMENT, exit 2); the message names it as the API does. */
export function optionError(option: string, message: string): XcnnError {
  return new XcnnError(message, { code: 'ERR_BAD_ARGUMENT', option });
}

/**
 * The error a call rejects with when its AbortSignal fires: an XcnnError (code ERR_ABORTED) named
 * 'AbortError', as Node's and the web's own APIs name theirs, with the signal's reason as its cause.
 * `what` names the call: 'predict', 'explain', …
 */
export function abortError(what: string, signal: AbortSignal): XcnnError {
  const error = new XcnnError(`${what}: aborted`, { code: 'ERR_ABORTED', cause: signal.reason });
  error.name = 'AbortError';
  return error;
}
