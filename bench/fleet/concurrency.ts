// Runs an async job over many items with a bounded number in flight: a thousand requests at once
// would measure the client's sockets, not the system.

/** Calls `job` for each item, at most `limit` at a time; resolves with the results in order. */
export async function inBatches<T, R>(items: readonly T[], limit: number, job: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await job(items[index]!, index);
    }
  });
  await Promise.all(lanes);
  return results;
}
