/**
 * Seeded pseudo-random numbers. MLPerf seeds are unsigned 64-bit integers
 * (e.g. 14276810075590677512), beyond Number's exact range, so they are taken as
 * decimal strings or bigints, mixed down with SplitMix64, and drive xoshiro128**,
 * whose state fits in 32-bit integers and needs no BigInt on the hot path.
 */
export type Seed = string | bigint | number;

const MASK64 = (1n << 64n) - 1n;

function splitmix64(state: bigint): [bigint, bigint] {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  z = z ^ (z >> 31n);
  return [next, z];
}

export function parseSeed(seed: Seed): bigint {
  const v = typeof seed === 'bigint' ? seed : BigInt(seed);
  if (v < 0n || v > MASK64) throw new RangeError(`seed must be an unsigned 64-bit integer, got ${String(seed)}`);
  return v;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: Seed, stream = 0) {
    // `stream` derives independent generators from one seed (e.g. one per shuffle block).
    let s = (parseSeed(seed) ^ (BigInt(stream) * 0xd1b54a32d192ed03n)) & MASK64;
    let z: bigint;
    [s, z] = splitmix64(s);
    this.a = Number(z & 0xffffffffn) | 0;
    this.b = Number(z >> 32n) | 0;
    [s, z] = splitmix64(s);
    this.c = Number(z & 0xffffffffn) | 0;
    this.d = Number(z >> 32n) | 0;
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** uniform 32-bit unsigned integer */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** uniform in [0, 1) with 53 bits */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** uniform integer in [0, n) without modulo bias */
  int(n: number): number {
    if (n <= 0) throw new RangeError('int(n) needs n > 0');
    return Math.floor(this.next() * n);
  }

  /** exponential with the given rate (mean 1/rate) */
  exponential(rate: number): number {
    // 1 - next() is in (0, 1], so log never sees 0.
    return -Math.log(1 - this.next()) / rate;
  }

  /** standard normal (Box-Muller) */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** gamma(shape k, scale θ), Marsaglia-Tsang; k < 1 via the boost k+1 */
  gamma(shape: number, scale: number): number {
    if (shape < 1) {
      const u = 1 - this.next();
      return this.gamma(shape + 1, scale) * Math.pow(u, 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - this.next();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
    }
  }

  /** Fisher-Yates in place */
  shuffle<T>(items: T[] | Uint32Array): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
