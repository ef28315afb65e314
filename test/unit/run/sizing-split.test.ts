/**
 * The numbers a run is sized and bounded by are computed once: the Offline
 * query count the schedule issues is the samples_per_query the MLPerf logs and
 * validity judge it by, and shards and worker threads split the in-flight
 * bound by one rule whose parts sum to the bound.
 */
import { describe, expect, it } from 'vitest';
import { buildSchedule, shardSchedule } from '../../../src/schedule/schedule.js';
import { loadgenSettingsFromScenario } from '../../../src/scenario/user-conf.js';
import { shareOf } from '../../../src/util/split.js';
import { endpointKey } from '../../../src/sut/endpoint-url.js';
import { endpointSelectorProblems, parseThresholds, selectEndpoints } from '../../../src/metrics/thresholds.js';
import type { ResultJson } from '../../../src/metrics/types.js';
import { scenarioFor } from '../../helpers/scenario.js';

describe('Offline sizing', () => {
  it('issues exactly LoadGen effective samples_per_query (325 s × 2.8 QPS × 1.1 = 1001, not 1000)', () => {
    const s = scenarioFor('llama2-70b/offline', { targetQps: 2.8, durationMs: 325_000 });
    s.run.equalIssue = false;
    s.run.minQueryCount = 1;
    const settings = loadgenSettingsFromScenario(s);
    const schedule = buildSchedule({ scenario: s, librarySize: 64 });
    expect(settings.effective.samplesPerQuery).toBe(1001);
    expect(schedule.length).toBe(settings.effective.samplesPerQuery);
    expect(schedule.sizing.requestedQueries).toBe(settings.effective.minSampleCount);
  });
});

describe('in-flight bound split', () => {
  it('10 over 4 is 3+3+2+2 for shards and for workers, summing to the bound', () => {
    expect([0, 1, 2, 3].map((i) => shareOf(10, 4, i))).toEqual([3, 3, 2, 2]);
    const s = scenarioFor('llama2-70b/offline', { samples: 40, maxConcurrency: 10 });
    const full = buildSchedule({ scenario: s, librarySize: 8 });
    const shards = [0, 1, 2, 3].map((i) => shardSchedule(full, i, 4).maxConcurrency!);
    expect(shards).toEqual([3, 3, 2, 2]);
    expect(shards.reduce((a, b) => a + b, 0)).toBe(10);
  });
  it('every part keeps one slot (a shard with none could never issue)', () => {
    expect([0, 1, 2].map((i) => shareOf(2, 3, i))).toEqual([1, 1, 1]);
    expect([0, 1, 2].map((i) => shareOf(2, 3, i, 0))).toEqual([1, 1, 0]);
  });
});

describe('endpoint selector key', () => {
  it('the URL typed with /v1 selects the endpoint result.json shows without it, before and after the run', () => {
    expect(endpointKey('http://h:8000/v1/')).toBe('http://h:8000');
    const thresholds = parseThresholds(['endpoint[http://h:8000/v1].completed >= 1'], () => '--assert');
    expect(endpointSelectorProblems(thresholds, [{ url: 'http://h:8000/v1' }], '--assert')).toEqual([]);
    const result = { perEndpoint: [{ url: 'http://h:8000', completed: 3 }] } as unknown as ResultJson;
    expect(selectEndpoints(thresholds[0]!.ref.endpoint!, result)).toHaveLength(1);
  });
});
