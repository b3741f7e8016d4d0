/**
 * Runs `total` tasks with at most `concurrency` in flight, stopping early (and saying so) once
 * `budgetMs` has passed. Every loop in the benchmarks is bounded like this, in count and in time.
 */
export async function runConcurrently(
  total: number,
  concurrency: number,
  budgetMs: number,
  task: (index: number, worker: number) => Promise<void>,
): Promise<{ completed: number; timedOut: boolean }> {
  const deadline = Date.now() + budgetMs;
  let next = 0;
  let completed = 0;
  let timedOut = false;
  const worker = async (workerIndex: number) => {
    while (next < total) {
      if (Date.now() > deadline) {
        timedOut = true;
        return;
      }
      const index = next++;
      await task(index, workerIndex);
      completed += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, (_, i) => worker(i)));
  return { completed, timedOut };
}
