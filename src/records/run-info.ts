/**
 * run.json, written into --out before the first request: the resolved scenario
 * and endpoints. With requests.jsonl it is everything `tokbench report --from`
 * needs to rebuild the summary of a run that never wrote its result.json.
 */
import type { ResolvedScenario } from '../scenario/types.js';
import type { Schedule } from '../schedule/schedule.js';

export const RUN_INFO_FILE = 'run.json';

export interface RunInfo {
  tokbenchVersion: string;
  startedAt: string;
  simulated: boolean;
  scenario: ResolvedScenario;
  endpoints: { url: string; model: string; labels: Record<string, string> }[];
  samples: number;
  datasetSize: number;
  shard: { index: number; count: number } | null;
  sizing: Schedule['sizing'];
  tags: Record<string, string>;
}
