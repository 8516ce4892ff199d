import { runService } from '@usersys/service-kit';
import { shutdownTracing } from '@usersys/tracing';
import { authGatewayService } from './service';

// The HTTP edge (login, sessions, the write front door, the admin API); its wiring is in service.ts.
runService(authGatewayService, { finally: [['tracing', () => shutdownTracing()]] });
