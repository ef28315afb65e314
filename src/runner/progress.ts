/**
 * Progress on stderr, from sampled snapshots of the collector's counters: the
 * hot path never formats anything, a timer reads integers once a second. On a
 * terminal one line is redrawn in place; otherwise (CI logs) a plain line is
 * written every few seconds, with no control characters.
 */
import type { CliIo } from '../cli/io.js';
import type { Clock } from '../util/clock.js';
import type { MetricsCollector } from '../metrics/collector.js';
import type { Schedule } from '../schedule/schedule.js';
import type { ResolvedScenario } from '../scenario/types.js';

const TTY_INTERVAL_MS = 1000;
const LOG_INTERVAL_MS = 5000;
/** output tokens/s is taken over the last few snapshots, not since the start */
const RATE_WINDOW = 5;

export interface ProgressOptions {
  io: CliIo;
  collector: MetricsCollector;
  clock: Clock;
  schedule: Schedule;
  scenario: ResolvedScenario;
  color: boolean;
}

export class ProgressReporter {
  private timer: NodeJS.Timeout | null = null;
  private startUs = 0;
  private issued = 0;
  private readonly samples: { tUs: number; outputTokens: number }[] = [];
  private lastLength = 0;

  constructor(private readonly o: ProgressOptions) {}

  /** hot path: one integer increment */
  onIssued(): void {
    this.issued++;
  }

  start(): void {
    this.startUs = this.o.clock.nowUs();
    const tty = this.o.io.stderrIsTTY;
    this.timer = setInterval(() => this.tick(), tty ? TTY_INTERVAL_MS : LOG_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.o.io.stderrIsTTY && this.lastLength > 0) this.o.io.stderr.write('\r' + ' '.repeat(this.lastLength) + '\r');
  }

  /** the status line for the current snapshot (exported for tests through tick) */
  line(): string {
    const c = this.o.collector.counters();
    const nowUs = this.o.clock.nowUs();
    this.samples.push({ tUs: nowUs, outputTokens: c.outputTokens + c.partialOutputTokens });
    if (this.samples.length > RATE_WINDOW + 1) this.samples.shift();
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    const rate = last.tUs > first.tUs ? ((last.outputTokens - first.outputTokens) * 1e6) / (last.tUs - first.tUs) : 0;
    const elapsedS = (nowUs - this.startUs) / 1e6;
    const target = this.o.scenario.run.minDurationMs / 1000;
    const inFlight = Math.max(0, this.issued - c.completed - c.failed);
    const parts = [
      `${fmtTime(elapsedS)}${this.o.schedule.pattern === 'poisson' ? `/${fmtTime(this.o.schedule.sizing.lastScheduledUs / 1e6)}` : target > 0 && this.o.scenario.run.samples === null ? ` (min ${fmtTime(target)})` : ''}`,
      `issued ${this.issued}/${this.o.schedule.length}`,
      `done ${c.completed}`,
      `in flight ${inFlight}`,
      `${fmtRate(rate)} out tok/s`,
    ];
    if (c.failed > 0) parts.push(`failed ${c.failed}`);
    return parts.join(' · ');
  }

  private tick(): void {
    const text = this.line();
    if (this.o.io.stderrIsTTY) {
      const pad = Math.max(0, this.lastLength - text.length);
      this.o.io.stderr.write('\r' + text + ' '.repeat(pad));
      this.lastLength = text.length;
    } else {
      this.o.io.stderr.write(`tokbench: ${text}\n`);
    }
  }
}

function fmtTime(s: number): string {
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
}

function fmtRate(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  return v.toFixed(0);
}
