/**
 * One rule for dividing a whole bound (in-flight requests, connections, warm-up
 * requests) over shards or worker threads: the first `bound % parts` parts get
 * one more, so the parts sum to the bound (10 over 4 = 3+3+2+2). Every part gets
 * at least `min`, since a shard or worker with no slot could never issue; the
 * sum then exceeds the bound only when the bound is smaller than parts × min.
 */
export function shareOf(bound: number, parts: number, index: number, min = 1): number {
  if (!(parts >= 1) || !(index >= 0 && index < parts)) throw new RangeError(`bad share ${index} of ${parts}`);
  return Math.max(min, Math.floor(bound / parts) + (index < bound % parts ? 1 : 0));
}
