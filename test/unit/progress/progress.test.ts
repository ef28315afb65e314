import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { ProgressReporter, formatLine, fmtClock, LOG_INTERVAL_MS } from '../../../src/runner/progress.js';
import { MetricsCollector } from '../../../src/metrics/collector.js';
import { resolveScenario } from '../../../src/scenario/resolve.js';
import { buildSchedule } from '../../../src/schedule/schedule.js';
import type { CliIo } from '../../../src/cli/io.js';
import type { Clock } from '../../../src/util/clock.js';
import type { RequestRecord } from '../../../src/records/record.js';

// every C0 control character but \n, and DEL
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f]/;

function setup(tty: boolean, flags: Record<string, unknown> = { samples: 100 }) {
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (d: Buffer) => (text += d.toString()));
  const io: CliIo = {
    stdout: new PassThrough(),
    stderr,
    env: {},
    cwd: process.cwd(),
    stdoutIsTTY: false,
    stderrIsTTY: tty,
    onSignal: () => () => undefined,
  };
  const clock = { us: 0, nowUs: () => clock.us, wallMs: () => 0, sleepUntil: () => Promise.resolve() } as Clock & { us: number };
  const scenario = resolveScenario({ scenario: 'llama2-70b/server', flags: { targetQps: 10, ...flags }, env: {}, cwd: process.cwd() });
  const schedule = buildSchedule({ scenario, librarySize: 100 });
  const collector = new MetricsCollector(1);
  const live = { outputChunks: 0 };
  const p = new ProgressReporter({ io, collector, clock, schedule, scenario, color: true, live });
  return { p, clock, collector, live, out: () => text };
}

function record(seq: number, tUs: number, tokens: number): RequestRecord {
  return {
    seq,
    sampleIndex: 0,
    endpoint: 0,
    warmup: false,
    scheduledUs: tUs - 50_000,
    issuedUs: tUs - 50_000,
    firstTokenUs: tUs - 40_000,
    completedUs: tUs,
    inputTokens: 10,
    outputTokens: tokens,
    tokenSource: 'usage',
    chunks: tokens / 2,
    chunkTokenSource: 'estimated',
    ok: true,
    error: null,
    retries: 0,
  } as RequestRecord;
}

/** one simulated second: some queries issued, chunks streamed, one completed */
function second(s: ReturnType<typeof setup>, i: number) {
  s.clock.us += 1_000_000;
  for (let k = 0; k < 3; k++) {
    s.p.onIssued();
    s.collector.onIssued(0, s.clock.us);
  }
  s.live.outputChunks += 500; // 2 tokens per chunk below → 1,000 tok/s
  const rec = record(i, s.clock.us, 100);
  s.collector.record(rec);
  s.p.onRecord(rec);
  s.p.tick();
}

describe('progress', () => {
  it('not a terminal: a plain line every few seconds, no control character at all', () => {
    const s = setup(false);
    s.p.start();
    const ticks = (LOG_INTERVAL_MS / 1000) * 3;
    for (let i = 0; i < ticks; i++) second(s, i);
    s.p.stop();
    const out = s.out();
    expect(out).not.toMatch(CONTROL);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatch(/^tokbench: run \d+:\d\d \/ \d+:\d\d \(\d+%\) · issued [\d,]+\/[\d,]+ · done \d+ · in flight \d+ · [\d,.]+ out tok\/s · p99 TTFT [\d.]+ ms · errors 0$/);
    // streamed chunks × tokens per chunk of finished queries (100 tokens / 50 chunks) over the window
    expect(lines[2]).toContain('1,000 out tok/s');
  });

  it('terminal: one line redrawn in place with carriage returns, updated each second, cleared at the end', () => {
    const s = setup(true);
    s.p.start();
    second(s, 0);
    const first = s.out();
    second(s, 1);
    const both = s.out();
    expect(first.startsWith('\r')).toBe(true);
    expect(both).not.toContain('\n');
    const frames = both.split('\r').filter(Boolean);
    expect(frames).toHaveLength(2);
    expect(frames[0]).toContain('issued 3/');
    expect(frames[1]).toContain('issued 6/');
    expect(frames[0]).not.toEqual(frames[1]);
    s.p.stop();
    expect(s.out().endsWith('\r')).toBe(true);
  });

  it('shows the phase: warm-up before the first measured query, drain once everything is issued', () => {
    const s = setup(false, { samples: 3, warmup: 2 });
    s.p.start();
    s.clock.us += 1e6;
    expect(s.p.snapshot().phase).toBe('warm-up');
    for (let k = 0; k < 3; k++) s.p.onIssued();
    s.clock.us += 1e6;
    const snap = s.p.snapshot();
    expect(snap.phase).toBe('drain');
    expect(snap.inFlight).toBe(3);
    s.p.stop();
  });

  it('formats without streaming chunks from finished tokens, and counts errors', () => {
    const line = formatLine({
      phase: 'run',
      elapsedS: 75,
      targetS: 600,
      fraction: 0.125,
      issued: 1234,
      scheduled: 24576,
      completed: 1200,
      failed: 3,
      inFlight: 31,
      warmupDone: 0,
      warmupTotal: 0,
      outputTokensPerSecond: 12345.6,
      ttftP99Ms: 1234,
      scrapeErrors: 2,
    });
    expect(line).toBe('run 1:15 / 10:00 (12%) · issued 1,234/24,576 · done 1,200 · in flight 31 · 12,346 out tok/s · p99 TTFT 1.23 s · errors 3 · scrape errors 2');
    expect(fmtClock(3725)).toBe('1:02:05');
  });

  it('on a narrow terminal leaves out the least useful parts, never the errors', () => {
    const snap = {
      phase: 'run' as const,
      elapsedS: 75,
      targetS: 600,
      fraction: 0.125,
      issued: 1234,
      scheduled: 24576,
      completed: 1200,
      failed: 3,
      inFlight: 31,
      warmupDone: 0,
      warmupTotal: 0,
      outputTokensPerSecond: 12345.6,
      ttftP99Ms: 1234,
      scrapeErrors: 2,
    };
    const line = formatLine(snap, 79);
    expect(line.length).toBeLessThanOrEqual(79);
    expect(line).toContain('errors 3');
    expect(line).toContain('out tok/s');
    expect(line).not.toContain('done 1,200');
  });
});
