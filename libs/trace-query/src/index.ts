// Reading traces back from Jaeger's query API: the triage CLI (`npm run trace`) and the end-to-end
// tests that assert the shape of a request's trace.
export { JaegerClient, flattenSpans, type TraceSpan } from './jaeger';
export { renderTree, withoutNoise, ancestorsOf } from './tree';
