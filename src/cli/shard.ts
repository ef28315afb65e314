/**
 * `--shard i/N` or `--shard auto`: which slice of the one seeded schedule this
 * client issues. `auto` reads the distributed engine's own identity: Slurm's
 * SLURM_PROCID/SLURM_NTASKS, or a Kubernetes Indexed Job's JOB_COMPLETION_INDEX
 * with the count from --shard-count or TOKBENCH_SHARD_COUNT.
 */
import type { Problem } from '../errors.js';

export interface ShardId {
  index: number;
  count: number;
}

export function parseShard(arg: string | undefined, countArg: string | undefined, env: NodeJS.ProcessEnv, problems: Problem[]): ShardId | null {
  if (arg === undefined) return null;
  const intOf = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : null);
  if (arg === 'auto') {
    const slurmId = intOf(env.SLURM_PROCID);
    const slurmN = intOf(env.SLURM_NTASKS) ?? intOf(env.SLURM_NPROCS);
    if (slurmId !== null && slurmN !== null) return check({ index: slurmId, count: slurmN }, 'SLURM_PROCID/SLURM_NTASKS', problems);
    const k8sId = intOf(env.JOB_COMPLETION_INDEX);
    if (k8sId !== null) {
      const n = intOf(countArg) ?? intOf(env.TOKBENCH_SHARD_COUNT);
      if (n === null) {
        problems.push({ where: '--shard auto', message: 'JOB_COMPLETION_INDEX is set but the shard count is not', hint: 'pass --shard-count N (the Job\'s completions) or set TOKBENCH_SHARD_COUNT' });
        return null;
      }
      return check({ index: k8sId, count: n }, 'JOB_COMPLETION_INDEX', problems);
    }
    problems.push({ where: '--shard auto', message: 'no shard identity in the environment (SLURM_PROCID/SLURM_NTASKS or JOB_COMPLETION_INDEX)', hint: 'run under srun or a Kubernetes Indexed Job, or give --shard i/N' });
    return null;
  }
  const m = /^(\d+)\/(\d+)$/.exec(arg);
  if (!m) {
    problems.push({ where: '--shard', message: `expected i/N or auto, got ${JSON.stringify(arg)}`, hint: 'e.g. --shard 0/4 for the first of four clients' });
    return null;
  }
  return check({ index: Number(m[1]), count: Number(m[2]) }, '--shard', problems);
}

function check(s: ShardId, where: string, problems: Problem[]): ShardId | null {
  if (s.count < 1 || s.index >= s.count) {
    problems.push({ where, message: `shard ${s.index}/${s.count} is out of range`, hint: 'the index counts from 0 and must be below the count' });
    return null;
  }
  return s;
}
