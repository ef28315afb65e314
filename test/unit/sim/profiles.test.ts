import { describe, expect, it } from 'vitest';
import { PROFILES, PROFILE_NAMES, getProfile } from '../../../src/sim/profiles.js';
import { saturationCapacity, validateEngineParams } from '../../../src/sim/engine.js';

describe('profiles', () => {
  it('are valid engines', () => {
    expect(PROFILE_NAMES).toEqual(['tiny', 'llama2-70b-8xgpu', 'gpt-oss-120b-8xgpu']);
    for (const p of Object.values(PROFILES)) expect(validateEngineParams(p.engine)).toEqual([]);
  });

  // Per-node MLPerf Inference v6.0 Offline results (shared/reference/mlperf.md §6)
  it.each([
    ['llama2-70b-8xgpu', 101_595, 115_730],
    ['gpt-oss-120b-8xgpu', 85_921, 111_496],
  ])('%s models a node inside the MLPerf v6.0 per-node Offline range', (name, low, high) => {
    const p = getProfile(name)!;
    const cap = saturationCapacity(p.engine, p.referenceWorkload);
    expect(cap.modelled.outputTokensPerSecond).toBeGreaterThanOrEqual(low);
    expect(cap.modelled.outputTokensPerSecond).toBeLessThanOrEqual(high);
    // served slowly enough for a 2-core machine running the client too
    expect(cap.outputTokensPerSecond).toBeLessThan(6000);
    expect(cap.outputTokensPerSecond * p.engine.timeScale).toBeCloseTo(cap.modelled.outputTokensPerSecond, 6);
  });

  it('tiny streams thousands of tokens per second with steps of a few ms', () => {
    const p = getProfile('tiny')!;
    const cap = saturationCapacity(p.engine, p.referenceWorkload);
    expect(cap.outputTokensPerSecond).toBeGreaterThan(2000);
    expect(cap.outputTokensPerSecond).toBeLessThan(12_000);
    expect(cap.meanStepUs).toBeGreaterThan(1000);
    expect(cap.meanStepUs).toBeLessThan(2500);
  });

  it('getProfile hands out copies', () => {
    getProfile('tiny')!.engine.maxNumSeqs = 1;
    expect(getProfile('tiny')!.engine.maxNumSeqs).toBe(16);
  });
});
