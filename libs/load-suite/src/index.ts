// The load suite's engine (`npm run load`, bench/): keep-alive HTTP workers, the original team's
// stages, an open-model (arrival-rate) stage, token refresh, wait-for-user, statistics (the one
// percentile and median implementation), SVG charts and soak sampling.
export { runLoad, loadConfig, type LoadConfig, type LoadOptions, type LoadResult } from './load';
export { runStage, activeWorkers, maxWorkers, splitStage, type StageSpec, type StageRun } from './runner';
export { HttpClient, type HttpResult } from './http-client';
export { TokenKeeper } from './tokens';
export { summarize, percentile, median, acceptedRate, stageReport, formatTable, emptySamples, type Samples, type StageReport, type LatencySummary, type OpenLoopFigures } from './stats';
export { SCENARIOS, newUser, seedUsers, WaitForUser, runOperation, type ScenarioName, type OperationResult } from './scenarios';
export { sampleServices, compareSamples, parseRuntime, type RuntimeSample, type GrowthFinding } from './soak';
export { latencyChart } from './chart';
