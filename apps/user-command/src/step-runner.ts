import { withSpan } from '@usersys/tracing';
import type { Logger } from '@usersys/logger';
import { Histogram, type Registry } from 'prom-client';
import type { StepRunner } from './domain/ports';

/**
 * Every step of the synchronous path is a span, an observation in a per-step histogram, and, when
 * slower than the threshold, one log line with `step` and `duration_ms`; counting those lines per
 * step is how the original team found its bottleneck.
 */
export function createStepRunner(registry: Registry, log: Logger, slowMs: number): StepRunner {
  const histogram = new Histogram({
    name: 'user_command_step_duration_seconds',
    help: 'Duration of each step of the synchronous create/update/delete path',
    labelNames: ['step', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5],
    registers: [registry],
  });
  return async (step, fn, attributes) => {
    const started = performance.now();
    let outcome = 'ok';
    try {
      return await withSpan(step, { attributes }, fn);
    } catch (err) {
      outcome = 'error';
      throw err;
    } finally {
      const ms = performance.now() - started;
      histogram.observe({ step, outcome }, ms / 1000);
      if (ms > slowMs) log.warn({ step, duration_ms: Math.round(ms), status: outcome, username: attributes?.['enduser.id'], ...attributes }, 'slow step');
    }
  };
}
