/**
 * examples/kubernetes: the Indexed Job's wiring. Kubernetes gives each pod
 * JOB_COMPLETION_INDEX; tokbench's `--shard auto` needs the count too, which
 * must equal the Job's completions, and every pod must write its own --out
 * directory on the volume the merge Job reads.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseShard } from '../../../src/cli/shard.js';
import { parseEndpointsFile } from '../../../src/cli/endpoints-file.js';
import { ROOT } from '../../helpers/cli.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kubernetes manifests read as loose JSON
type Obj = Record<string, any>;
const load = (name: string): Obj[] =>
  parseAllDocuments(readFileSync(join(ROOT, 'examples', 'kubernetes', name), 'utf8')).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Obj;
  });

const docs = load('shards-job.yaml');
const job = docs.find((d) => d.kind === 'Job')!;
const config = docs.find((d) => d.kind === 'ConfigMap')!;
const container = job.spec.template.spec.containers[0] as Obj;
const env = Object.fromEntries((container.env as Obj[]).map((e) => [e.name, e.value]));
const script = [...container.command, ...container.args].join(' ');

describe('the shards Job', () => {
  it('is an Indexed Job running all its shards at once', () => {
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.spec.completionMode).toBe('Indexed');
    expect(job.spec.parallelism).toBe(job.spec.completions);
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
  });

  it('takes the index from Kubernetes and the count from TOKBENCH_SHARD_COUNT = completions', () => {
    expect(script).toMatch(/tokbench run \S+/);
    expect(script).toContain('--shard auto');
    // Kubernetes provides the index; a manifest must not set it
    expect(env).not.toHaveProperty('JOB_COMPLETION_INDEX');
    expect(Number(env.TOKBENCH_SHARD_COUNT)).toBe(job.spec.completions);
    for (let i = 0; i < job.spec.completions; i++) {
      const problems: unknown[] = [];
      const shard = parseShard('auto', undefined, { JOB_COMPLETION_INDEX: String(i), TOKBENCH_SHARD_COUNT: env.TOKBENCH_SHARD_COUNT }, problems as never);
      expect(problems).toEqual([]);
      expect(shard).toEqual({ index: i, count: job.spec.completions });
    }
  });

  it('starts every pod at one --start-at and gives each its own --out on the shared volume', () => {
    expect(script).toMatch(/--start-at "\$TOKBENCH_START_AT"/);
    expect(script).toMatch(/--out "\$TOKBENCH_RUN_DIR\/shard-\$JOB_COMPLETION_INDEX"/);
    const mount = (container.volumeMounts as Obj[]).find((m) => m.name === 'results')!;
    expect(env.TOKBENCH_RUN_DIR.startsWith(`${mount.mountPath}/`)).toBe(true);
    const volume = (job.spec.template.spec.volumes as Obj[]).find((v) => v.name === 'results')!;
    expect(volume.persistentVolumeClaim.claimName).toBe(load('pvc.yaml')[0]!.metadata.name);
    expect(load('pvc.yaml')[0]!.spec.accessModes).toContain('ReadWriteMany');
  });

  it('reads an endpoints file and a system description tokbench accepts', () => {
    const configMount = (container.volumeMounts as Obj[]).find((m) => m.name === 'config')!;
    expect(script).toContain(`--endpoints-file ${configMount.mountPath}/endpoints.yaml`);
    expect(script).toContain(`--system ${configMount.mountPath}/system.json`);
    const endpoints = parseEndpointsFile(config.data['endpoints.yaml'], 'endpoints.yaml');
    expect(endpoints.length).toBeGreaterThan(1);
    expect(JSON.parse(config.data['system.json'])).toHaveProperty('system_name');
  });
});

describe('the merge Job', () => {
  it('merges the directory the shards wrote, from the same volume', () => {
    const merge = load('merge-job.yaml')[0]!;
    const c = merge.spec.template.spec.containers[0] as Obj;
    const mergeScript = [...c.command, ...c.args].join(' ');
    const runDir = env.TOKBENCH_RUN_DIR as string;
    expect(mergeScript).toContain(`tokbench merge ${runDir} -o ${runDir}/merged`);
    const mount = (c.volumeMounts as Obj[]).find((m) => m.name === 'results')!;
    expect(runDir.startsWith(`${mount.mountPath}/`)).toBe(true);
    const volume = (merge.spec.template.spec.volumes as Obj[]).find((v) => v.name === 'results')!;
    expect(volume.persistentVolumeClaim.claimName).toBe('tokbench-results');
  });

  it('run.sh fills in the run id and start time the manifests leave open', () => {
    const sh = readFileSync(join(ROOT, 'examples', 'kubernetes', 'run.sh'), 'utf8');
    expect(sh).toContain('s/RUN_ID/');
    expect(sh).toContain('s/START_AT/');
    expect(sh).toContain('kubectl wait --for=condition=complete --timeout=2h job/tokbench-shards');
    expect(env.TOKBENCH_START_AT).toBe('START_AT');
  });
});
