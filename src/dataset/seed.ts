import { parseSeed } from '../util/rng.js';

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;

/**
 * A dataset seed as a 64-bit integer. MLPerf seeds are decimal strings and pass
 * through unchanged; any other text (`--seed nightly`) is hashed (FNV-1a 64) so
 * that a name is as reproducible as a number.
 */
export function datasetSeed(seed: string | bigint): bigint {
  if (typeof seed === 'bigint') return parseSeed(seed);
  const text = seed.trim();
  if (/^\d+$/.test(text) && BigInt(text) <= MASK64) return BigInt(text);
  let h = FNV64_OFFSET;
  for (const byte of new TextEncoder().encode(text)) {
    h = ((h ^ BigInt(byte)) * FNV64_PRIME) & MASK64;
  }
  return h;
}
