// examples/evaluate-test-set.mjs — the paper's metrics on the 10,000 test images on two threads; Ctrl-C stops it cleanly.
import { formatClassificationReport, loadClassifier, loadDataset } from 'xcnn';

let model;
try {
  model = await loadClassifier({ threads: 2 }); // the workers never keep the process alive, closed or not
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  const evaluation = await model.evaluate(loadDataset().test, {
    signal: stop.signal,
    onProgress: ({ done, total }) => process.stderr.write(`\r${done}/${total}`),
  });
  console.log(`\naccuracy ${(100 * evaluation.accuracy).toFixed(2)}%`);
  console.log(formatClassificationReport(evaluation.report));
} catch (error) {
  // Every error xcnn throws has a stable code: ERR_ABORTED (named AbortError), ERR_FILE, ERR_BAD_MODEL, …
  if (error.code === 'ERR_ABORTED') console.log('\nstopped');
  else throw error;
} finally {
  await model?.close();
}
