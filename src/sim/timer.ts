/**
 * The real-time Clock the simulator's engine sleeps on.
 *
 * util/clock's realClock spins on setImmediate for the last 1.5 ms of every sleep
 * for sub-100 µs accuracy; the tiny profile's steps last about 2 ms, so that would
 * keep a core busy most of the time on a 2-core machine shared with the client.
 * This clock uses timers only: it sleeps in whole milliseconds rounded to the
 * nearest, and wakes when within TOLERANCE_US of the target, so a step ends within
 * about ±0.5 ms of its model time. The engine schedules on its own model timeline,
 * so the error shifts single chunks but never accumulates.
 *
 * Timers are unref'd: a pending step must not keep a process alive whose server
 * has closed. Every wake-up goes through a macrotask, so an engine that is behind
 * still lets sockets be served between steps.
 */
import { realClock, sleepUntilWith, type Clock } from '../util/clock.js';

const TOLERANCE_US = 500;

export const simRealClock: Clock = {
  nowUs: realClock.nowUs,
  wallMs: realClock.wallMs,
  sleepUntil: (tUs, signal) =>
    sleepUntilWith(realClock.nowUs, tUs, signal, (remainingUs) =>
      remainingUs <= TOLERANCE_US ? 'yieldThenDone' : { timerMs: Math.max(1, Math.round(remainingUs / 1000)), unref: true },
    ),
};
