/**
 * Measures the client process while a run goes (src/metrics/client-check.ts
 * judges it): the main thread's event-loop delay and utilization, and the
 * process's CPU time, which counts every thread, worker threads included
 * (getrusage RUSAGE_SELF). Lives in cli/ because it reads `process`.
 */
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { ClientLoad } from '../metrics/client-check.js';

/**
 * The delay histogram samples every LOOP_SAMPLE_MS; each sample is the time
 * between two samples, so the interval itself is taken off. 2 ms: fine enough
 * to see a 5 ms stall, 500 wake-ups a second (well under 0.1 % of a core).
 */
const LOOP_SAMPLE_MS = 2;

export interface ClientMonitor {
  /** stop measuring and return the figures since start */
  stop(): ClientLoad;
}

export function startClientMonitor(workers: number): ClientMonitor {
  const delay = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
  delay.enable();
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  let done: ClientLoad | null = null;
  return {
    stop(): ClientLoad {
      if (done !== null) return done;
      delay.disable();
      const wallS = Math.max(1e-6, (performance.now() - t0) / 1000);
      const cpu = process.cpuUsage(cpu0);
      const cores = Math.max(1, availableParallelism());
      const cpuCores = (cpu.user + cpu.system) / 1e6 / wallS;
      // no sample at all (a run shorter than one interval): no delay was seen
      const ms = (ns: number): number => (delay.count === 0 ? 0 : Math.max(0, ns / 1e6 - LOOP_SAMPLE_MS));
      done = {
        eventLoopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
        eventLoopUtilization: performance.eventLoopUtilization(elu0).utilization,
        cpuCores,
        cpuUtilization: Math.min(1, cpuCores / cores),
        cores,
        workers: Math.max(1, workers),
      };
      return done;
    },
  };
}
