export { startServices, serviceCommand, SERVICES, REPO } from './services';
export type { RunningServices, ServiceSpec } from './services';
export { Supervisor } from './supervisor';
export type { Supervisable, SupervisorOptions } from './supervisor';
