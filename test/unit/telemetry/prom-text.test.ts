import { describe, expect, it } from 'vitest';
import { familyOf, parsePrometheusText, parseValue } from '../../../src/telemetry/prom-text.js';
import { renderMetrics, SimMetrics } from '../../../src/sim/metrics.js';

describe('Prometheus text format parser', () => {
  it('reads HELP, TYPE and samples with labels (the example of the exposition format spec)', () => {
    const text = [
      '# HELP http_requests_total The total number of HTTP requests.',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'http_requests_total{method="post",code="400"}    3 1395066363000',
      '',
      '# Escaping in label values:',
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
      '',
      '# Minimalistic line:',
      'metric_without_timestamp_and_labels 12.47',
      '',
      '# A weird metric from before the epoch:',
      'something_weird{problem="division by zero"} +Inf -3982045',
      '',
      '# A histogram, which has a pretty complex representation in the text format:',
      '# HELP http_request_duration_seconds A histogram of the request duration.',
      '# TYPE http_request_duration_seconds histogram',
      'http_request_duration_seconds_bucket{le="0.05"} 24054',
      'http_request_duration_seconds_bucket{le="+Inf"} 144320',
      'http_request_duration_seconds_sum 53423',
      'http_request_duration_seconds_count 144320',
    ].join('\n');
    const p = parsePrometheusText(text);
    expect(p.errors).toEqual([]);
    expect(p.types.get('http_requests_total')).toBe('counter');
    expect(p.types.get('http_request_duration_seconds')).toBe('histogram');
    expect(p.help.get('http_requests_total')).toBe('The total number of HTTP requests.');
    expect(p.samples).toHaveLength(9);
    expect(p.samples[0]).toEqual({ name: 'http_requests_total', labels: { method: 'post', code: '200' }, value: 1027, timestamp: 1395066363000 });
    expect(p.samples[1]!.value).toBe(3);
    expect(p.samples[2]!.labels).toEqual({ path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' });
    expect(p.samples[2]!.value).toBe(1.458255915e9);
    expect(p.samples[3]).toEqual({ name: 'metric_without_timestamp_and_labels', labels: {}, value: 12.47, timestamp: null });
    expect(p.samples[4]!.value).toBe(Infinity);
    expect(p.samples[4]!.timestamp).toBe(-3982045);
    expect(p.samples[5]!.labels).toEqual({ le: '0.05' });
  });

  it('reads Go float spellings and rejects what is not a number', () => {
    expect(parseValue('NaN')).toBeNaN();
    expect(parseValue('+Inf')).toBe(Infinity);
    expect(parseValue('-Inf')).toBe(-Infinity);
    expect(parseValue('1e-05')).toBe(1e-5);
    expect(parseValue('.5')).toBe(0.5);
    expect(parseValue('3.')).toBe(3);
    expect(parseValue('-0')).toBe(-0);
    expect(parseValue('0x10')).toBeNull();
    expect(parseValue('')).toBeNull();
    expect(parseValue('12abc')).toBeNull();
  });

  it('keeps going past a malformed line and says which line', () => {
    const p = parsePrometheusText('good 1\nbad{a="1" 2\nalso_bad\nnot_a_number abc\ngood2 2\n');
    expect(p.samples.map((s) => s.name)).toEqual(['good', 'good2']);
    expect(p.errors.map((e) => e.line)).toEqual([2, 3, 4]);
  });

  it('accepts CRLF, tabs, a trailing comma, an empty label set, and no final newline', () => {
    const p = parsePrometheusText('a{x="1",} 1\r\nb{}\t2\r\n  c\t 3');
    expect(p.errors).toEqual([]);
    expect(p.samples.map((s) => [s.name, s.value])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    expect(p.samples[0]!.labels).toEqual({ x: '1' });
  });

  it('reads metric names with colons (vLLM, SGLang) and OpenMetrics extras', () => {
    const p = parsePrometheusText(
      [
        '# TYPE vllm:num_requests_running gauge',
        'vllm:num_requests_running{model_name="m",engine="0"} 3.0',
        '# UNIT foo_seconds seconds',
        'foo_seconds_total 1.5 # {trace_id="abc"} 0.5 1',
        '# EOF',
      ].join('\n'),
    );
    expect(p.errors).toEqual([]);
    expect(p.samples[0]).toMatchObject({ name: 'vllm:num_requests_running', value: 3 });
    expect(p.samples[1]).toMatchObject({ name: 'foo_seconds_total', value: 1.5 });
    expect(p.units.get('foo_seconds')).toBe('seconds');
  });

  it('reads Prometheus 3 quoted UTF-8 names', () => {
    const p = parsePrometheusText('{"my.metric", "label.x"="v", y="w"} 7\n');
    expect(p.errors).toEqual([]);
    expect(p.samples[0]).toEqual({ name: 'my.metric', labels: { 'label.x': 'v', y: 'w' }, value: 7, timestamp: null });
  });

  it('rejects a duplicated label and an unknown TYPE', () => {
    const p = parsePrometheusText('# TYPE x wobbly\nx{a="1",a="2"} 1\n');
    expect(p.samples).toHaveLength(0);
    expect(p.errors).toHaveLength(2);
  });

  it('finds the family of a counter declared without _total (prometheus_client, the simulator)', () => {
    const types = new Map([
      ['vllm:prompt_tokens', 'counter' as const],
      ['h', 'histogram' as const],
    ]);
    expect(familyOf('vllm:prompt_tokens_total', types)).toEqual({ family: 'vllm:prompt_tokens', type: 'counter', suffix: '_total' });
    expect(familyOf('h_bucket', types).type).toBe('histogram');
    expect(familyOf('undeclared_total', new Map()).type).toBe('counter');
    expect(familyOf('plain', new Map()).type).toBe('untyped');
  });

  it('parses every line of the simulator’s /metrics', () => {
    const m = new SimMetrics();
    m.ttft.observe(0.02);
    const text = renderMetrics({
      modelName: 'tokbench-sim-tiny',
      running: 3,
      waiting: 1,
      kvUsage: 0.25,
      promptTokens: 100,
      generationTokens: 50,
      success: m.success,
      ttft: m.ttft,
      itl: m.itl,
      e2e: m.e2e,
      queue: m.queue,
      faults: { reset: 1 },
      timeScale: 1,
      lagDroppedS: 0,
    });
    const p = parsePrometheusText(text);
    expect(p.errors).toEqual([]);
    const running = p.samples.find((s) => s.name === 'vllm:num_requests_running')!;
    expect(running).toMatchObject({ value: 3, labels: { model_name: 'tokbench-sim-tiny', engine: '0' } });
    expect(p.samples.find((s) => s.name === 'vllm:kv_cache_usage_perc')!.value).toBe(0.25);
    expect(p.samples.find((s) => s.name === 'vllm:generation_tokens_total')!.value).toBe(50);
  });
});
