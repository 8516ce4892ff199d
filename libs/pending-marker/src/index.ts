export { PendingMarkerStore, pendingMarkerKey, pendingMarkerTtlMs, PENDING_MARKER_FLOOR_MS, PENDING_MARKER_MAX_JITTER_MS, PROVISIONAL_MARKER_TTL_MS, CLEAR_MARKER_IF_OWNER_LUA } from './marker';
export type { PendingMarkerValue, MarkResult } from './marker';
