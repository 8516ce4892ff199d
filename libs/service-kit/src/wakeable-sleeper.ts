/**
 * A wait another party can cut short: `sleep(ms)` resolves after `ms` or at `wake()`, whichever
 * comes first; `sleep()` without `ms` waits for `wake()` alone. Meant for one loop that sleeps
 * while others signal it: a `wake()` with nobody asleep is dropped, so the loop checks its state
 * (queue, running flag) before it sleeps again.
 */
export class WakeableSleeper {
  private wakeSleeping: (() => void) | null = null;

  wake(): void {
    const wake = this.wakeSleeping;
    this.wakeSleeping = null;
    wake?.();
  }

  sleep(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? null : setTimeout(() => this.wake(), ms);
      this.wakeSleeping = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
    });
  }
}
