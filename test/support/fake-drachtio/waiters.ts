/**
 * Hands out items (received SIP messages, new calls) to tests that wait for them. A wait
 * that is never satisfied fails with what did arrive, instead of hanging the test run;
 * the limit is generous because it guards against hangs, it does not measure speed.
 */
export class Waiters<T> {
  private readonly items: T[] = [];
  private readonly pending: Array<(item: T) => void> = [];

  constructor(private readonly what: string) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const waiter = this.pending.shift();
    if (waiter) waiter(item);
    else this.items.push(item);
  }

  next(timeoutMs = 10_000): Promise<T> {
    const ready = this.items.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = this.pending.indexOf(deliver);
        if (at !== -1) this.pending.splice(at, 1);
        reject(new Error(`fake drachtio: waited ${timeoutMs} ms for ${this.what}; none came`));
      }, timeoutMs);
      const deliver = (item: T) => {
        clearTimeout(timer);
        resolve(item);
      };
      this.pending.push(deliver);
    });
  }
}

/** Waits until `check` finds something in a growing list, for "has X arrived yet" questions. */
export class Watched<T> {
  readonly all: T[] = [];
  private readonly watchers: Array<() => void> = [];

  add(item: T): void {
    this.all.push(item);
    for (const w of this.watchers.splice(0)) w();
  }

  async find(predicate: (item: T) => boolean, describe: string, timeoutMs = 10_000, seen: () => string = () => `${this.all.length} items`): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.all.find(predicate);
      if (hit !== undefined) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`fake drachtio: waited ${timeoutMs} ms for ${describe}; saw ${seen()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.watchers.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
