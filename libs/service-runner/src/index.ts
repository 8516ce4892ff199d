export { startServices, serviceCommand, SERVICES, REPO } from './services';
export type { RunningServices, ServiceSpec } from './services';
