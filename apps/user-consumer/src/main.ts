import { runService } from '@usersys/service-kit';
import { shutdownTracing } from '@usersys/tracing';
import { userConsumerService } from './service';

// The consumer: Kafka in, PostgreSQL (and Redis bookkeeping) out; its wiring is in service.ts.
runService(userConsumerService, { finally: [['tracing', () => shutdownTracing()]] });
