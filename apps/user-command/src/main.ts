import { runService } from '@usersys/service-kit';
import { shutdownTracing } from '@usersys/tracing';
import { userCommandService } from './service';

// user-command: the synchronous half of every write (validate, hash, mark, WAL, 202); its wiring is in service.ts.
runService(userCommandService, { finally: [['tracing', () => shutdownTracing()]] });
