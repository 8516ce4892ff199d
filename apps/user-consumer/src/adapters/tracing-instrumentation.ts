import type { EventEnvelope } from '@usersys/event-schema';
import type { Logger } from '@usersys/logger';
import { context, extractTraceContext, SpanKind, SpanStatusCode, trace, tracer, type Context, type Span } from '@usersys/tracing';
import { errorText, type InboundMessage } from '../domain/messages';
import type { EventTrace, Instrumentation } from '../domain/ports';

export const SPAN_BY_TYPE: Record<EventEnvelope['type'], string> = {
  'user.created': 'processCreateOperation',
  'user.updated': 'processUpdateOperation',
  'user.deleted': 'processDeleteOperation',
  'user.force_deleted': 'processForceDeleteOperation',
  'user.disabled': 'processDisableOperation',
  'user.enabled': 'processEnableOperation',
};

interface TracedEvent extends EventTrace {
  span: Span;
  ctx: Context;
}

/**
 * OpenTelemetry spans and pino lines for the processor (README "Tracing, logs, metrics"): a CONSUMER
 * span per event whose parent is the message's traceparent, child spans per step, and one log line
 * per outcome (applied and duplicate at debug level: one line per event is a lot at full speed).
 */
export function tracingInstrumentation(log: Logger): Instrumentation {
  const inContext = (t: EventTrace, fn: () => void) => context.with((t as TracedEvent).ctx, fn);
  return {
    log,
    begin(msg: InboundMessage, event: EventEnvelope, degrade) {
      const parent = extractTraceContext(msg.headers);
      const span = tracer().startSpan(
        SPAN_BY_TYPE[event.type],
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'process',
            'messaging.destination.name': msg.topic,
            'messaging.destination.partition.id': String(msg.partition),
            'messaging.kafka.offset': Number(msg.offset),
            'messaging.kafka.message.key': msg.key ?? '',
            'enduser.id': event.username,
            'event.id': event.eventId,
            'event.type': event.type,
            degrade: degrade !== false,
          },
        },
        parent,
      );
      const t: TracedEvent = { event, degrade: degrade !== false, span, ctx: trace.setSpan(parent, span) };
      if (degrade) {
        inContext(t, () =>
          log.warn({ username: event.username, event_id: event.eventId, step: 'readPendingMarker', degrade: true, status: degrade }, 'pending marker missing: the database decides (conditional insert)'),
        );
      }
      return t;
    },
    step(name, traces, attributes = {}) {
      const spans = traces.map((t) => tracer().startSpan(name, { attributes: { 'enduser.id': t.event.username, 'event.id': t.event.eventId, ...attributes } }, (t as TracedEvent).ctx));
      return {
        done(errors = [], more = []) {
          spans.forEach((s, i) => {
            const err = errors[i];
            if (err) {
              if (err instanceof Error) s.recordException(err);
              s.setStatus({ code: SpanStatusCode.ERROR, message: errorText(err) });
            }
            if (more[i]) s.setAttributes(more[i]);
            s.end();
          });
        },
      };
    },
    end(t, outcome, message, error) {
      const { span } = t as TracedEvent;
      span.setAttribute('outcome', outcome);
      if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
      inContext(t, () => {
        const fields = { username: t.event.username, event_id: t.event.eventId, event_type: t.event.type, step: 'consume', status: outcome, degrade: t.degrade, ...(error ? { err: error } : {}) };
        if (outcome === 'applied' || outcome === 'duplicate') log.debug(fields, 'event processed');
        else if (outcome === 'retry' || outcome === 'dead_letter') log.warn(fields, message ?? 'event not applied');
        else log.info(fields, message ?? 'event processed');
      });
      span.end();
    },
    warn(t, fields, message) {
      inContext(t, () => log.warn({ username: t.event.username, event_id: t.event.eventId, ...fields }, message));
    },
  };
}
