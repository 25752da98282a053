/** What the tests check of a refusal: that it is an XcnnError, whose message they then read. */
import { expect } from 'vitest';
import { XcnnError } from '../src/errors.js';

/** The error `f` throws (failing the test if it throws none, or not an XcnnError, or one without `code` when given). */
export function errorOf(f: () => unknown, code?: string): XcnnError {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(XcnnError);
    if (code !== undefined) expect((error as XcnnError).code).toBe(code);
    return error as XcnnError;
  }
  throw new Error('expected an error, got none');
}

/** The message of the XcnnError `run` throws, or 'accepted' when it throws none: a refusal table's cell. */
export function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(XcnnError);
    return (error as Error).message;
  }
  return 'accepted';
}

/** The error a promise rejects with (failing the test if it resolves, or rejects with anything but an XcnnError). */
export async function rejection(promise: Promise<unknown>): Promise<XcnnError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(XcnnError);
    return error as XcnnError;
  }
  throw new Error('expected a rejection, got a result');
}
