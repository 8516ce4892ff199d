import { runService } from '@usersys/service-kit';
import { shutdownTracing } from '@usersys/tracing';
import { walRelayService } from './service';

// Entry of the relay (WAL directories in, Kafka out); its wiring is in service.ts.
runService(walRelayService, { finally: [['tracing', () => shutdownTracing()]] });
