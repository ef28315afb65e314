/**
 * tokbench as a library: the run pipeline (resolve → plan → execute → finish)
 * and the result types. The CLI is a thin layer over exactly these.
 */
export { resolveScenario, type ScenarioFlags } from './scenario/resolve.js';
export type { ResolvedScenario, EndpointSpec } from './scenario/types.js';
export { loadSampleLibrary } from './dataset/library.js';
export { loadTokenizer } from './dataset/tokenizers.js';
export type { SampleLibrary, Sample, Tokenizer } from './dataset/types.js';
export { preflight } from './sut/preflight.js';
export { createOpenAiSut, type OpenAiSutOptions } from './sut/openai.js';
export type { Sut, SutOutcome, EndpointInfo } from './sut/types.js';
export { realClock, type Clock } from './util/clock.js';
export { planRun, type PlanInput, type RunPlan } from './run/plan.js';
export { executeRun, type ExecuteDeps, type RunOutcome, type RunSinks } from './run/execute.js';
export { finishRun, type FinishInput, type FinishedRun } from './run/finish.js';
export { outputTarget, type OutputTarget } from './run/outputs.js';
export { startEmbeddedSimulator, type EmbeddedSimulator } from './sim/embedded.js';
export type { ResultJson, Summary, Validity, ThresholdVerdict, AccuracyResult } from './metrics/types.js';
export type { RequestRecord } from './records/record.js';
export { ConfigError, RunFailedError, ExitCode, type Problem } from './errors.js';
export { TOKBENCH_VERSION } from './version.js';
