/** The paced and worker-scaling tables of `npm run bench` (bench/paced.ts makes the figures). */
import type { CaseResult } from './cases.js';
import { table } from './table.js';

const f = (v: number | null | undefined, d = 2): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));
const int = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : Math.round(v).toLocaleString('en-US'));
const pct = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '–' : `${Math.round(v * 100)}%`);

export function renderPaced(paced: CaseResult[], scaling: CaseResult[], other: (r: CaseResult) => string): string[] {
  const out: string[] = [];
  const err = (r: CaseResult) => (r.ok ? '' : ` (${(r.error ?? '').split('\n')[0]})`);
  if (paced.length > 0) {
    out.push('', 'Paced: one event per socket write per stream every 2 ms, 256 tokens a response (spec: 2-4 tokens an event), closed loop; client CPU µs per event');
    out.push(
      table(
        ['case', 'streams', 'events', 'events/s', 'marginal', 'steady', 'warm', 'of which kernel', 'events/core-s', 'events/read', 'ITL err p50 ms', '|p99| ms', 'client cores', 'loop busy', 'server cores', 'other load', 'client-bound', 'target'],
        paced.map((r) => {
          const p = r.paced;
          return [
            r.id + err(r),
            int(r.spec.streams),
            int(p?.events),
            int(p?.eventsPerS),
            f(p?.marginalCpuUsPerEvent),
            f(p?.steadyCpuUsPerEvent),
            f(p?.warmCpuUsPerEvent),
            f(p?.sysUsPerEvent),
            int(p?.eventsPerCoreS),
            f(p?.eventsPerRead),
            f(p?.itlErrMs?.p50, 3),
            f(p?.itlErrMs?.p99abs, 3),
            f(r.clientCores),
            pct(r.elu),
            f(r.serverCores),
            other(r),
            p === undefined ? '–' : p.clientBound ? 'yes' : 'no',
            verdictOf(r),
          ];
        }),
      ),
    );
  }
  if (scaling.length > 0) {
    const one = scaling.find((r) => r.spec.workers === 1)?.paced;
    out.push('', 'Worker scaling: --workers N, 256 paced streams (as above); speedup = events/s ÷ events/s at 1 worker; efficiency = speedup ÷ N');
    out.push(
      table(
        ['case', 'workers', 'events', 'events/s', 'marginal µs/event', 'warm µs/event', 'events/core-s', 'client cores', 'speedup', 'efficiency', 'server cores', 'other load'],
        scaling.map((r) => {
          const p = r.paced;
          const speedup = p !== undefined && one !== undefined ? p.eventsPerS / one.eventsPerS : undefined;
          return [
            r.id + err(r),
            String(r.spec.workers),
            int(p?.events),
            int(p?.eventsPerS),
            f(p?.marginalCpuUsPerEvent),
            f(p?.warmCpuUsPerEvent),
            int(p?.eventsPerCoreS),
            f(r.clientCores),
            f(speedup),
            speedup === undefined ? '–' : pct(speedup / r.spec.workers!),
            f(r.serverCores),
            other(r),
          ];
        }),
      ),
    );
  }
  for (const r of paced) for (const reason of r.paced?.clientBoundReasons ?? []) out.push(`  ${r.id}: client-bound: ${reason}`);
  return out;
}

/** issue 14: ≤ 4 µs marginal client CPU per event, one token an event over HTTP/1.1 */
export function verdictOf(r: CaseResult): string {
  if (!r.ok) return 'ERROR';
  const m = r.paced?.marginalCpuUsPerEvent;
  if (r.spec.spec === true || r.spec.http2 === true || m === null || m === undefined) return 'info';
  return m <= 4 ? 'met' : 'MISSED';
}
