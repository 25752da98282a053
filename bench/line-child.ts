/**
 * A child process spoken to in lines, as the PyTorch comparison and the peers race drive theirs: a command in
 * on stdin, one line back on stdout ("error …" is the child's own failure). Lines the protocol does not know (a
 * library's banner) can be passed over with `accepts`. A dead or silent child ends a wait with an error naming
 * what happened and the last lines of its stderr, never a hang or an unhandled EPIPE.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

/** The child failed, exited or did not answer: the race it was in is skipped, not the bench. */
export class LineChildError extends Error {}

export interface LineChildOptions {
  /** Which stdout lines are answers (default: all). */
  accepts?: (line: string) => boolean;
  /** Leads every failure message, e.g. 'the child'. */
  name?: string;
}

export class LineChild {
  private readonly lines: string[] = [];
  private waiter: ((line: string | null) => void) | null = null;
  private exited = false;
  private stderr = '';
  private readonly exit: Promise<void>;
  private readonly name: string;

  constructor(private readonly child: ChildProcessWithoutNullStreams, options: LineChildOptions = {}) {
    const accepts = options.accepts ?? (() => true);
    this.name = options.name === undefined ? '' : `${options.name} `;
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (accepts(line)) this.deliver(line);
    });
    child.stderr.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-2000)));
    child.stdin.on('error', () => {}); // a dead child: reported by nextLine, not as an unhandled EPIPE
    this.exit = new Promise((resolve) => {
      const ended = () => {
        this.exited = true;
        this.deliver(null);
        resolve();
      };
      child.on('close', ended);
      child.on('error', (error) => {
        this.stderr += String(error);
        ended();
      });
    });
  }

  private deliver(line: string | null): void {
    const waiter = this.waiter;
    this.waiter = null;
    if (waiter !== null) waiter(line);
    else if (line !== null) this.lines.push(line);
  }

  async request(command: string, timeoutMs: number): Promise<string> {
    this.child.stdin.write(`${command}\n`);
    return this.nextLine(timeoutMs);
  }

  async nextLine(timeoutMs: number): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return this.checked(queued);
    if (this.exited) throw this.failure('exited');
    let timer: NodeJS.Timeout | undefined;
    const line = await new Promise<string | null>((resolve) => {
      this.waiter = resolve;
      timer = setTimeout(() => this.deliver(null), timeoutMs);
    });
    clearTimeout(timer);
    if (line === null) throw this.failure(this.exited ? 'exited' : `did not answer within ${timeoutMs / 1000} s`);
    return this.checked(line);
  }

  private checked(line: string): string {
    if (line.startsWith('error ')) throw new LineChildError(line.slice('error '.length));
    return line;
  }

  private failure(what: string): LineChildError {
    const tail = this.stderr.trim().split('\n').slice(-3).join(' | ');
    return new LineChildError(`${this.name}${what}${this.child.exitCode !== null ? ` (status ${this.child.exitCode})` : ''}${tail ? `: ${tail}` : ''}`);
  }

  /** Asks the child to quit, and kills it if it has not within 5 s. */
  async close(): Promise<void> {
    if (this.exited) return;
    this.child.stdin.end('quit\n');
    const timer = setTimeout(() => this.child.kill(), 5000);
    await this.exit;
    clearTimeout(timer);
  }
}
