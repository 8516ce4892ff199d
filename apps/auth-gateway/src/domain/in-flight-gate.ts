/**
 * The login fast-fail: a counter of logins in progress. Above the threshold a new login is refused
 * at once, so requests never queue up in front of Redis, PostgreSQL or the bcrypt pool.
 */
export class InFlightGate {
  private inFlight = 0;

  constructor(private readonly threshold: number) {}

  tryEnter(): boolean {
    if (this.inFlight >= this.threshold) return false;
    this.inFlight++;
    return true;
  }

  leave(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }

  get current(): number {
    return this.inFlight;
  }
}
