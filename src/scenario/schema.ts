/**
 * The scenario file format (YAML or JSON), schemaVersion 1. Every field is
 * optional: a file states only what differs from its benchmark profile and the
 * defaults. Units are in the names; durations are milliseconds, rates per second.
 */
import { z } from 'zod';

const positive = () => z.number().positive();
const nonNegInt = () => z.number().int().nonnegative();
const positiveInt = () => z.number().int().positive();

const lengthObject = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fixed'), value: positiveInt() }),
  z.strictObject({ kind: z.literal('uniform'), min: positiveInt(), max: positiveInt() }),
  z.strictObject({
    kind: z.literal('normal'),
    mean: positive(),
    stddev: z.number().nonnegative(),
    min: positiveInt(),
    max: positiveInt(),
  }),
  z.strictObject({
    kind: z.literal('lognormal'),
    mean: positive(),
    stddev: z.number().nonnegative(),
    min: positiveInt(),
    max: positiveInt(),
  }),
  z.strictObject({
    kind: z.literal('empirical'),
    values: z.array(positiveInt()).min(1),
    weights: z.array(z.number().nonnegative()).optional(),
  }),
]);

/** a length: an object, or the compact string form of --input-tokens (`lognormal:mean=300,…`), or a number */
export const lengthSchema = z.union([positiveInt(), z.string().min(1), lengthObject]);

const seedSchema = z.union([z.string().regex(/^\d+$/, 'a seed is an unsigned 64-bit integer'), nonNegInt()]);

export const endpointSchema = z.union([
  z.string().min(1),
  z.strictObject({
    url: z.string().min(1),
    model: z.string().min(1).optional(),
    labels: z.record(z.string(), z.string()).optional(),
  }),
]);

export const scenarioFileSchema = z
  .strictObject({
    schemaVersion: z.literal(1),
    /** optional: a built-in to start from, e.g. `llama2-70b/server` */
    extends: z.string(),
    benchmark: z.enum(['llama2-70b', 'gpt-oss-120b', 'custom']),
    scenario: z.enum(['offline', 'server', 'interactive']),
    load: z
      .strictObject({
        pattern: z.enum(['offline', 'poisson', 'closed']),
        targetQps: positive(),
        burstiness: positive(),
        maxConcurrency: positiveInt(),
      })
      .partial(),
    dataset: z
      .strictObject({
        source: z.enum(['synthetic', 'jsonl', 'sharegpt', 'parquet']),
        path: z.string().min(1),
        size: positiveInt(),
        tokenizer: z.enum(['llama2', 'o200k_harmony']),
        inputTokens: lengthSchema,
        outputTokens: lengthSchema,
        // [ecosystem] parquet column roles (src/dataset/columns.ts)
        columns: z.partialRecord(z.enum(['prompt', 'ids', 'reference', 'outputTokens', 'dataset']), z.string()),
      })
      .partial(),
    request: z
      .strictObject({
        api: z.enum(['completions', 'chat']),
        model: z.string().min(1),
        maxTokens: positiveInt(),
        ignoreEos: z.boolean(),
        temperature: z.number().nonnegative().nullable(),
        topP: z.number().gt(0).lte(1).nullable(),
        topK: z.number().int().nullable(),
        stream: z.boolean(),
        promptFormat: z.enum(['text', 'ids']),
        continuousUsage: z.boolean(),
        reasoningEffort: z.enum(['low', 'medium', 'high']).nullable(),
        headers: z.record(z.string(), z.string()),
        extraBody: z.record(z.string(), z.unknown()),
      })
      .partial(),
    run: z
      .strictObject({
        mode: z.enum(['performance', 'accuracy']),
        minDurationMs: nonNegInt(),
        maxDurationMs: nonNegInt(),
        minQueryCount: nonNegInt(),
        samples: positiveInt(),
        equalIssue: z.boolean(),
        warmupRequests: nonNegInt(),
        requestTimeoutMs: positiveInt(),
        idleTimeoutMs: positiveInt(),
        drainTimeoutMs: nonNegInt(),
        graceMs: nonNegInt(),
        retries: nonNegInt(),
      })
      .partial(),
    constraints: z
      .strictObject({
        ttftP99Ms: positive().nullable(),
        tpotP99Ms: positive().nullable(),
      })
      .partial(),
    // [ecosystem] MLPerf round of the default seeds
    mlperfRound: z.enum(['6.0', '6.1']),
    seeds: z.strictObject({ qsl: seedSchema, sampleIndex: seedSchema, schedule: seedSchema }).partial(),
    thresholds: z.array(z.string().min(1)),
    endpoints: z.array(endpointSchema),
  })
  .partial();

export type ScenarioFile = z.infer<typeof scenarioFileSchema>;
