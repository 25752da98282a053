/**
 * Vitest's global setup: every test run writes its scratch under one folder of its own, and the folder goes
 * when the run ends. Tests make their temporary folders with `mkdtempSync(join(tmpdir(), …))`, and the CLI
 * runs they start write theirs the same way; a test stopped part way (a timeout, a mutation run's killed
 * runner) never reaches its own clean-up, which left tens of thousands of folders in /tmp. With TMPDIR set
 * here, before the test workers start, os.tmpdir() in every worker and child process names this run's folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const scratch = mkdtempSync(join(tmpdir(), 'xcnn-test-run-'));
  process.env.TMPDIR = scratch;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(scratch, { recursive: true, force: true });
  };
}
