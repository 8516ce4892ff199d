/*
 * kafkajs 2.2.4 spins a 1 ms timer per broker connection forever once the connection has answered
 * anything: RequestQueue.scheduleCheckPendingRequests() schedules a check at `throttledUntil -
 * Date.now()` even when nothing is pending; `throttledUntil` is -1 unless the broker throttles, so
 * the delay is about minus the epoch, Node clamps it to 1 ms (Node >= 24 also prints
 * "TimeoutNegativeWarning: -17… is a negative number"), and the check schedules the next one. Every
 * idle producer and consumer connection woke its process 1000 times a second (kafkajs issues #1704,
 * #1751; the fixes there are unreleased). The replacement schedules a check only when requests are
 * pending: a push() or a finished request calls this again, so nothing waits unseen.
 */

interface RequestQueueLike {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs' CHECK_PENDING_REQUESTS_INTERVAL: how soon to look again when requests wait but nothing throttles. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

function scheduleCheckPendingRequests(this: RequestQueueLike): void {
  if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS,
  );
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs exports no types for its internals; the class is patched in place
const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueLike };

/** The kafkajs class this module patches (for its test). */
export const KafkajsRequestQueue = RequestQueue as unknown as new (options: Record<string, unknown>) => RequestQueueLike;

RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
