// The last event seen, per person: passed as afterSequence on every (re)connection so that
// nothing sent while the app was away is missed. Kept in localStorage (a reload resumes too).

export interface CursorStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export class Cursor {
  constructor(private readonly store: CursorStore | null, private readonly userId: string) {}

  private get key(): string {
    return `mcs.cursor.${this.userId}`;
  }

  get(): string | null {
    try {
      return this.store?.getItem(this.key) ?? null;
    } catch {
      return null;
    }
  }

  /** Move forward only: sequences are decimal integers that grow (an older one is a replay). */
  advance(sequence: string): boolean {
    const current = this.get();
    if (current !== null && !isAfter(sequence, current)) return false;
    try {
      this.store?.setItem(this.key, sequence);
    } catch {
      /* not persisted: the session still advances in memory through the subscription */
    }
    return true;
  }

  reset(): void {
    try {
      this.store?.removeItem(this.key);
    } catch {
      /* nothing stored */
    }
  }
}

/** a > b for decimal integer strings of any length (sequences may pass 2**53). */
export function isAfter(a: string, b: string): boolean {
  if (a.length !== b.length) return a.length > b.length;
  return a > b;
}
