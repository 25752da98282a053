/**
 * A vitest reporter for mutation runs: a test file that throws while it loads (a mutant in code that runs at
 * import time, say) has no tests, and StrykerJS's vitest runner counts a run with no failed test as a
 * survivor. This reporter gives each such file one failed test, "<file> loads", carrying the load error, so
 * the mutant that broke the import counts as killed. Ordinary test runs do not use it (vitest itself already
 * fails a file that cannot load).
 */
import type { Reporter, TestModule } from 'vitest/node';

type Task = TestModule['task'];

function hasTests(task: { tasks?: Task['tasks'] }): boolean {
  return (task.tasks ?? []).some((child) => child.type === 'test' || hasTests(child as { tasks?: Task['tasks'] }));
}

export class LoadFailureReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    for (const testModule of testModules) {
      const file = testModule.task;
      if (file.result?.state !== 'fail' || hasTests(file)) continue;
      file.tasks.push({
        type: 'test',
        id: `${file.id}_load`,
        name: 'loads',
        fullName: `${file.name} loads`,
        mode: 'run',
        file,
        suite: file,
        result: { state: 'fail', errors: file.result.errors },
        meta: {},
        annotations: [],
        artifacts: [],
        timeout: 0,
        context: undefined as never,
      } as unknown as Task['tasks'][number]);
    }
  }
}
