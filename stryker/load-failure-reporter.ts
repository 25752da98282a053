/**
 * A vitest reporter for mutation runs: a test file that throws while it loads (a mutant in code that runs at
 * import time, say) has no tests, and StrykerJS's vitest runner counts a run with no failed test as a
 * survivor. This reporter gives each such file one failed test, "<file> loads", carrying the load error, so
 * the mutant that broke the import counts as killed. Ordinary test runs do not use it (vitest itself already
 * fails a file that cannot load). `npm run mutate -- self-check` shows it working.
 */
import type { Reporter, TestModule } from 'vitest/node';

/** The part of vitest's task tree this reporter reads and writes (the runner's File, Suite and Test tasks). */
interface Task {
  type: string;
  name: string;
  tasks?: Task[];
  result?: { state?: string; errors?: unknown[] };
}

function hasTests(task: Task): boolean {
  return (task.tasks ?? []).some((child) => child.type === 'test' || hasTests(child));
}

export class LoadFailureReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    for (const testModule of testModules) {
      // The runner's File task behind the public TestModule: StrykerJS reads the tests from these.
      const file = (testModule as unknown as { task: Task & { id: string; tasks: Task[] } }).task;
      if (file.result?.state !== 'fail' || hasTests(file)) continue;
      file.tasks.push({
        type: 'test',
        id: `${file.id}_load`,
        name: 'loads',
        mode: 'run',
        file,
        suite: file,
        result: { state: 'fail', errors: file.result.errors },
        meta: {},
        annotations: [],
        artifacts: [],
        timeout: 0,
      } as Task);
    }
  }
}
