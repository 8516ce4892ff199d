/**
 * Keeps the WAL order of one username's events equal to the order its requests arrived in this
 * process: a request takes a ticket on arrival and appends only after every earlier ticket for the
 * same name is done (appended or failed). Hashing still overlaps; only the append waits.
 * Without it a slow PATCH (bcrypt) could land in the WAL after a DELETE that arrived later.
 */
export class KeyedSequencer {
  private readonly tails = new Map<string, Promise<void>>();

  enter(key: string): { turn: Promise<void>; done: () => void } {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    // Forget the key once the last ticket is done, so the map holds only names in flight.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return { turn: previous, done };
  }

  get size(): number {
    return this.tails.size;
  }
}
