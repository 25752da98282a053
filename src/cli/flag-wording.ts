/**
 * The library words its errors in its own terms — an option by its API name (`layer: 'relu9' is not a conv
 * block…`, `threads 2 needs the wasm backend…`) — and marks an error about one option with `option`
 * (errors.ts). The command line prints such an error in its flags' words: the option's name, where the
 * message uses it as a word, becomes the flag that sets it (`--layer: 'relu9' is not a conv block…`).
 * This table is the whole mapping; an option not in it (or an error without one) is printed as it is.
 */
import type { XcnnError } from '../errors.js';

/** The API's option name → the command line's flag, for every option a command passes on to the library. */
export const FLAG_OF_OPTION: Readonly<Record<string, string>> = {
  arch: 'arch',
  input: 'input',
  layer: 'layer',
  method: 'method',
  threads: 'threads',
  learningRate: 'lr',
};

/** The error's message as the command line prints it: its option's name (a whole word) spelt as the flag. */
export function inFlagWording(error: XcnnError): string {
  const flag = error.option === undefined ? undefined : FLAG_OF_OPTION[error.option];
  if (flag === undefined) return error.message;
  // A word on its own: at the start or after a space or '(', and before a space, ':', ',' or ')' — not inside a path or a quoted name.
  const word = new RegExp(`(^|[\\s(])${error.option}(?=[\\s:,)]|$)`, 'g');
  return error.message.replace(word, `$1--${flag}`);
}
