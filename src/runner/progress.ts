/**
 * Live progress on stderr, from sampled snapshots: the hot path only bumps
 * integers (`onIssued`: one increment; the Sut bumps `live.outputChunks` per
 * streamed output chunk; `onRecord`: two additions per finished query). A 1 s
 * timer reads them, together with the collector's counters and its TTFT
 * histogram, and formats one status line:
 *
 *   run 0:42 / 10:00 (7%) · issued 1,234/24,576 · done 1,200 · in flight 34 · 12,345 out tok/s · p99 TTFT 1.23 s · errors 0
 *
 * On a terminal the line is redrawn in place (carriage return, padded to the
 * previous length, cut to the terminal width so it never wraps). Otherwise (CI
 * logs, pipes) a plain `tokbench: ...` line is written every LOG_INTERVAL_MS,
 * holding no control character at all.
 *
 * Output tokens/s is over a sliding window of the last RATE_WINDOW_S seconds.
 * It counts streamed chunks as they arrive, times the tokens per chunk seen in
 * finished queries (usage / chunks), so a run of long outputs shows its
 * throughput while the queries are still streaming; without streaming it falls
 * back to the output tokens of finished queries.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { CliIo } from '../cli/io.js';
import type { Clock } from '../util/clock.js';
import type { MetricsCollector } from '../metrics/collector.js';
import type { Schedule } from '../schedule/schedule.js';
import type { ResolvedScenario } from '../scenario/types.js';
import type { RequestRecord } from '../records/record.js';
import { mergeAll } from '../metrics/histogram.js';
import { formatCount, formatDurationMs, formatNumber } from '../report/format.js';

const SAMPLE_INTERVAL_MS = 1000;
export const LOG_INTERVAL_MS = 5000;
/** output tokens/s is taken over this many seconds of snapshots, not since the start */
export const RATE_WINDOW_S = 5;
const DEFAULT_COLUMNS = 100;

/** Counters the Sut bumps as bytes arrive (one integer increment per output chunk). */
export interface LiveCounters {
  outputChunks: number;
}

export type Phase = 'warm-up' | 'run' | 'drain' | 'stopping';

export interface ProgressOptions {
  io: CliIo;
  collector: MetricsCollector;
  clock: Clock;
  schedule: Schedule;
  scenario: ResolvedScenario;
  color: boolean;
  /** streamed-chunk counter fed by the Sut; without it tokens/s counts finished queries only */
  live?: LiveCounters;
  /** aborted when the user interrupts (phase "stopping") */
  interrupt?: AbortSignal;
  /** scrape sources, to show failures */
  telemetry?: { status(): { errors: number }[] };
}

export interface ProgressSnapshot {
  phase: Phase;
  /** seconds since the measured run began (since start() during warm-up) */
  elapsedS: number;
  /** the schedule's planned length (Poisson) or min duration, seconds; null when the run is sized by queries alone */
  targetS: number | null;
  /** 0–1: by time for timed schedules, by finished queries otherwise */
  fraction: number;
  issued: number;
  scheduled: number;
  completed: number;
  failed: number;
  inFlight: number;
  warmupDone: number;
  warmupTotal: number;
  outputTokensPerSecond: number;
  /** null until a first token was seen */
  ttftP99Ms: number | null;
  scrapeErrors: number;
}

interface RateSample {
  tUs: number;
  chunks: number;
  tokens: number;
}

export class ProgressReporter {
  private timer: NodeJS.Timeout | null = null;
  private startUs = 0;
  /** clock time of the first snapshot that saw a measured query issued (t = 0 to within a tick) */
  private runStartUs = -1;
  private lastSampleUs = 0;
  private issued = 0;
  private doneChunks = 0;
  private doneTokens = 0;
  private readonly samples: RateSample[] = [];
  private ticks = 0;
  private lastLength = 0;
  private readonly c: ChalkInstance;

  constructor(private readonly o: ProgressOptions) {
    this.c = new Chalk({ level: o.color && o.io.stderrIsTTY ? 1 : 0 });
  }

  /** hot path: one integer increment */
  onIssued(): void {
    this.issued++;
  }

  /** a finished query (hot path: two additions); gives the tokens-per-chunk ratio for live throughput */
  onRecord(rec: RequestRecord): void {
    if (rec.ok && !rec.warmup && rec.chunks > 0) {
      this.doneChunks += rec.chunks;
      this.doneTokens += rec.outputTokens;
    }
  }

  start(): void {
    this.startUs = this.o.clock.nowUs();
    this.lastSampleUs = this.startUs;
    this.sample(this.startUs);
    this.timer = setInterval(() => this.tick(), SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.o.io.stderrIsTTY && this.lastLength > 0) this.o.io.stderr.write('\r' + ' '.repeat(this.lastLength) + '\r');
    this.lastLength = 0;
  }

  /** One timer tick: take a snapshot; draw it (terminal) or log it every LOG_INTERVAL_MS (not a terminal). */
  tick(): void {
    this.ticks++;
    const snap = this.snapshot();
    if (this.o.io.stderrIsTTY) {
      const width = terminalColumns(this.o.io) - 1;
      const plain = formatLine(snap, width);
      const text = plain.length > width ? plain.slice(0, Math.max(0, width - 1)) + '…' : plain;
      const pad = Math.max(0, this.lastLength - text.length);
      const shown = this.c.level > 0 ? colorize(text, snap, this.c) : text;
      this.o.io.stderr.write('\r' + shown + ' '.repeat(pad));
      this.lastLength = text.length;
    } else if (this.ticks % Math.max(1, Math.round(LOG_INTERVAL_MS / SAMPLE_INTERVAL_MS)) === 0) {
      this.o.io.stderr.write(`tokbench: ${stripControl(formatLine(snap))}\n`);
    }
  }

  private sample(nowUs: number): void {
    const chunks = this.o.live?.outputChunks ?? 0;
    const c = this.o.collector.counters();
    this.samples.push({ tUs: nowUs, chunks, tokens: c.outputTokens + c.partialOutputTokens });
    while (this.samples.length > RATE_WINDOW_S + 1) this.samples.shift();
  }

  /** Reads the counters now (not hot path: once a second). */
  snapshot(): ProgressSnapshot {
    const nowUs = this.o.clock.nowUs();
    const prevSampleUs = this.lastSampleUs;
    this.sample(nowUs);
    this.lastSampleUs = nowUs;
    const collector = this.o.collector;
    const c = collector.counters();
    const { schedule, scenario } = this.o;

    if (this.runStartUs < 0 && this.issued > 0) this.runStartUs = prevSampleUs;
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    const dtS = (last.tUs - first.tUs) / 1e6;
    let rate = 0;
    if (dtS > 0) {
      if (last.chunks > 0) {
        const perChunk = this.doneChunks > 0 ? this.doneTokens / this.doneChunks : 1;
        rate = ((last.chunks - first.chunks) * perChunk) / dtS;
      } else {
        rate = (last.tokens - first.tokens) / dtS;
      }
    }

    const inFlight = Math.max(0, this.issued - c.completed - c.failed);
    const warmupTotal = scenario.run.warmupRequests;
    const warm = collector.warmup;
    let phase: Phase;
    const maxDurationS = scenario.run.maxDurationMs > 0 ? scenario.run.maxDurationMs / 1000 : Infinity;
    const elapsedS = this.runStartUs >= 0 ? (nowUs - this.runStartUs) / 1e6 : (nowUs - this.startUs) / 1e6;
    if (this.o.interrupt?.aborted) phase = 'stopping';
    else if (this.issued === 0 && warmupTotal > 0 && warm.records < warmupTotal) phase = 'warm-up';
    else if (this.issued >= schedule.length || (this.runStartUs >= 0 && elapsedS >= maxDurationS)) phase = 'drain';
    else phase = 'run';

    let targetS: number | null = null;
    if (schedule.pattern === 'poisson') targetS = schedule.sizing.lastScheduledUs / 1e6;
    else if (scenario.run.samples === null && scenario.run.minDurationMs > 0) targetS = scenario.run.minDurationMs / 1000;
    const finished = c.completed + c.failed;
    let fraction: number;
    if (phase === 'warm-up') fraction = warmupTotal > 0 ? warm.records / warmupTotal : 0;
    else if (schedule.pattern === 'poisson' && targetS !== null && targetS > 0 && phase === 'run') fraction = Math.min(1, elapsedS / targetS);
    else fraction = schedule.length > 0 ? finished / schedule.length : 1;

    const ttft = ttftP99Ms(collector);
    let scrapeErrors = 0;
    for (const s of this.o.telemetry?.status() ?? []) scrapeErrors += s.errors;
    return {
      phase,
      elapsedS,
      targetS,
      fraction: Math.max(0, Math.min(1, fraction)),
      issued: this.issued,
      scheduled: schedule.length,
      completed: c.completed,
      failed: c.failed,
      inFlight,
      warmupDone: warm.records,
      warmupTotal,
      outputTokensPerSecond: rate,
      ttftP99Ms: ttft,
      scrapeErrors,
    };
  }
}

function ttftP99Ms(collector: MetricsCollector): number | null {
  const n = collector.endpointCount;
  const h = n === 1 ? collector.histograms(0).ttftUs : mergeAll(Array.from({ length: n }, (_, i) => collector.histograms(i).ttftUs));
  if (h.totalCount === 0) return null;
  return h.getValueAtPercentile(99) / 1000;
}

/**
 * The status line, plain text (no escape codes). Given a width (a terminal),
 * the least useful parts are left out until it fits, rather than cutting the
 * end (where the errors are). Exported for tests.
 */
export function formatLine(s: ProgressSnapshot, width = Infinity): string {
  // [text, priority]: higher stays longer
  const parts: [string, number][] = [];
  if (s.phase === 'warm-up') {
    parts.push([`warm-up ${formatCount(s.warmupDone)}/${formatCount(s.warmupTotal)}`, 9], [`${fmtClock(s.elapsedS)}`, 1]);
  } else {
    const target = s.targetS === null ? '' : ` / ${fmtClock(s.targetS)}`;
    parts.push([`${s.phase} ${fmtClock(s.elapsedS)}${target} (${Math.floor(s.fraction * 100)}%)`, 9]);
    parts.push([`issued ${formatCount(s.issued)}/${formatCount(s.scheduled)}`, 6]);
    parts.push([`done ${formatCount(s.completed)}`, 2]);
    parts.push([`in flight ${formatCount(s.inFlight)}`, 5]);
  }
  parts.push([`${formatNumber(s.outputTokensPerSecond)} out tok/s`, 7]);
  parts.push([`p99 TTFT ${s.ttftP99Ms === null ? '–' : formatDurationMs(s.ttftP99Ms)}`, 4]);
  parts.push([`errors ${formatCount(s.failed)}`, 8]);
  if (s.scrapeErrors > 0) parts.push([`scrape errors ${formatCount(s.scrapeErrors)}`, 3]);
  const join = (ps: [string, number][]) => ps.map((p) => p[0]).join(' · ');
  let kept = parts;
  while (kept.length > 1 && join(kept).length > width) {
    const lowest = Math.min(...kept.map((p) => p[1]));
    kept = kept.filter((p) => p[1] !== lowest);
  }
  return join(kept);
}

function colorize(text: string, s: ProgressSnapshot, c: ChalkInstance): string {
  const sp = text.indexOf(' ');
  const head = sp < 0 ? text : text.slice(0, sp);
  const rest = sp < 0 ? '' : text.slice(sp);
  const phase = s.phase === 'stopping' ? c.yellow.bold(head) : s.phase === 'run' ? c.cyan.bold(head) : c.bold(head);
  return s.failed > 0 ? phase + rest.replace(/errors [\d,]+/, (m) => c.red(m)) : phase + rest;
}

/** m:ss, or h:mm:ss from an hour */
export function fmtClock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

function terminalColumns(io: CliIo): number {
  const cols = (io.stderr as { columns?: number }).columns;
  return typeof cols === 'number' && cols > 20 ? cols : DEFAULT_COLUMNS;
}

/** belt and braces for CI logs: nothing below 0x20 (but none is produced) and no DEL */
function stripControl(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f]/g, '');
}
