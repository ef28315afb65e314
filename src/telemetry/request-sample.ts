/**
 * A bounded, deterministic sample of per-request points for plots that need
 * individual requests (TTFT against scheduled time shows queueing build up):
 * result.json's `requestSample`, at most MAX points however long the run.
 *
 * A query is kept when the low bits of a hash of its seq are zero; when the
 * sample is full, one more bit is required and about half the points go. So
 * the kept points are spread evenly over the whole run (not only its start),
 * the choice does not depend on completion order, and shards of one schedule
 * keep the same queries a single client would. Hot path cost per record: one
 * hash and a compare; a push when kept.
 */
import type { RequestRecord } from '../records/record.js';
import type { RequestSample } from '../metrics/types.js';

export const REQUEST_SAMPLE_MAX = 5000;

/** murmur3's 32-bit finalizer: every input bit affects every output bit */
function mix(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class RequestSampler {
  private mask = 0;
  private seen = 0;
  private hash: number[] = [];
  private scheduledUs: number[] = [];
  private ttftUs: number[] = [];
  private e2eUs: number[] = [];
  private endpoint: number[] = [];

  constructor(private readonly max = REQUEST_SAMPLE_MAX) {}

  /** every finished query; warm-up records are ignored */
  add(rec: RequestRecord): void {
    if (rec.warmup) return;
    this.seen++;
    const h = mix(rec.seq);
    if ((h & this.mask) !== 0) return;
    this.hash.push(h);
    this.scheduledUs.push(rec.scheduledUs);
    this.ttftUs.push(rec.ok && rec.firstTokenUs !== null ? Math.max(0, rec.firstTokenUs - rec.scheduledUs) : -1);
    this.e2eUs.push(rec.ok ? Math.max(0, rec.completedUs - rec.scheduledUs) : -1);
    this.endpoint.push(rec.endpoint);
    if (this.hash.length > this.max) this.thin();
  }

  private thin(): void {
    while (this.hash.length > this.max && this.mask !== 0xffffffff) {
      this.mask = ((this.mask << 1) | 1) >>> 0;
      let w = 0;
      for (let r = 0; r < this.hash.length; r++) {
        if ((this.hash[r]! & this.mask) !== 0) continue;
        this.hash[w] = this.hash[r]!;
        this.scheduledUs[w] = this.scheduledUs[r]!;
        this.ttftUs[w] = this.ttftUs[r]!;
        this.e2eUs[w] = this.e2eUs[r]!;
        this.endpoint[w] = this.endpoint[r]!;
        w++;
      }
      for (const a of [this.hash, this.scheduledUs, this.ttftUs, this.e2eUs, this.endpoint]) a.length = w;
    }
  }

  toJson(): RequestSample {
    const order = this.scheduledUs.map((_, i) => i).sort((a, b) => this.scheduledUs[a]! - this.scheduledUs[b]! || a - b);
    const ms = (us: number) => Math.round(us / 10) / 100;
    return {
      seen: this.seen,
      max: this.max,
      scheduledMs: order.map((i) => ms(this.scheduledUs[i]!)),
      ttftMs: order.map((i) => (this.ttftUs[i]! < 0 ? null : ms(this.ttftUs[i]!))),
      e2eMs: order.map((i) => (this.e2eUs[i]! < 0 ? null : ms(this.e2eUs[i]!))),
      endpoint: order.map((i) => this.endpoint[i]!),
    };
  }
}
