/**
 * Waiting on several operations that hold buffers: `Promise.all` gives up at the first failure
 * while the others may still be writing into memory the caller is about to drop or reuse.
 */

/** Resolves when every one of `promises` has settled: to their values, or by throwing the first failure. */
export async function allSettled<T extends readonly unknown[]>(
  promises: { [K in keyof T]: Promise<T[K]> | T[K] },
): Promise<T> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
