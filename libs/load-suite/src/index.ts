// The load suite's engine (`npm run load`, bench/): keep-alive HTTP workers, the original team's
// stages, token refresh, wait-for-user, statistics, SVG charts and soak sampling.
export { runLoad, loadConfig, type LoadConfig, type LoadOptions, type LoadResult } from './load';
export { runStage, activeWorkers, maxWorkers, splitStage, type StageSpec, type StageRun } from './runner';
export { HttpClient, type HttpResult } from './http-client';
export { TokenKeeper } from './tokens';
export { summarize, stageReport, formatTable, emptySamples, type Samples, type StageReport, type LatencySummary } from './stats';
export { SCENARIOS, newUser, seedUsers, WaitForUser, runOperation, type ScenarioName } from './scenarios';
export { sampleServices, compareSamples, parseRuntime, type RuntimeSample, type GrowthFinding } from './soak';
export { latencyChart } from './chart';
