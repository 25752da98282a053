/**
 * The one error type xcnn throws for anything a user can fix: a bad file, a bad flag, a bad shape.
 * Its message names the input and the problem (and, where there is one, the fix); the CLI prints it
 * on one line and exits with `exitCode` — 2 for usage errors, 1 for bad data — never with a stack trace.
 */
export class XcnnError extends Error {
  readonly exitCode: 1 | 2;

  constructor(message: string, options: { exitCode?: 1 | 2; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'XcnnError';
    this.exitCode = options.exitCode ?? 1;
  }
}

/** A usage error: a bad flag, a missing argument, a value out of range (exit status 2). */
export function usageError(message: string): XcnnError {
  return new XcnnError(message, { exitCode: 2 });
}
