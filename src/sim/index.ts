/** The simulated inference server: see docs/simulator.md. */
export {
  Engine,
  lowLoadE2eUs,
  lowLoadTpotUs,
  lowLoadTtftUs,
  saturationCapacity,
  stepDurationUs,
  validateEngineParams,
  type CapacityPrediction,
  type EngineCounters,
  type EngineParams,
  type FinishReason,
  type OutputLengthDistribution,
  type SeqHandle,
  type SeqSink,
  type SubmitRequest,
  type TokenEvent,
  type Workload,
} from './engine.js';
export { FAULT_KINDS, parseFaultSpec, type FaultKind, type FaultRates } from './faults.js';
export { PROFILES, PROFILE_NAMES, getProfile, type PromptTokenizer, type SimProfile } from './profiles.js';
export {
  resolveSimulatorConfig,
  startSimulator,
  type ResolvedSimulatorConfig,
  type SimStats,
  type SimulatorHandle,
  type SimulatorOptions,
} from './server.js';
export { simRealClock } from './timer.js';
