export { startServices, serviceCommand, REPO } from './services';
export type { RunningServices, StartOptions } from './services';
export { APPS, SERVICES, CLUSTER_PORTS, appSpec, singleTopology, clusterTopology } from './topology';
export type { AppName, AppSpec, ServiceInstance, ClusterTopologyOptions } from './topology';
export { Supervisor } from './supervisor';
export type { Supervisable, SupervisorOptions } from './supervisor';
export { clusterStartOptions } from './cluster-start';
