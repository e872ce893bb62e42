// The per-person reconnection cursor: passed as afterSequence on every (re)connection.
import { describe, expect, it } from "vitest";
import { Cursor, isAfter, type CursorStore } from "../src/lib/cursor";

class MemoryStore implements CursorStore {
  items = new Map<string, string>();
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
}

class ThrowingStore implements CursorStore {
  getItem(): string | null {
    throw new Error("SecurityError: storage disabled");
  }
  setItem(): void {
    throw new Error("QuotaExceededError");
  }
  removeItem(): void {
    throw new Error("SecurityError: storage disabled");
  }
}

describe("Cursor", () => {
  it("starts empty, then remembers the last sequence seen", () => {
    const cursor = new Cursor(new MemoryStore(), "VXNlcjox");
    expect(cursor.get()).toBeNull();
    expect(cursor.advance("5")).toBe(true);
    expect(cursor.get()).toBe("5");
  });

  it("advances only forward: an older or equal sequence is a replay", () => {
    const cursor = new Cursor(new MemoryStore(), "u");
    expect(cursor.advance("10")).toBe(true);
    expect(cursor.advance("9")).toBe(false);
    expect(cursor.advance("10")).toBe(false);
    expect(cursor.get()).toBe("10");
    expect(cursor.advance("11")).toBe(true);
    expect(cursor.get()).toBe("11");
  });

  it("compares as numbers, not as text ('10' is after '9')", () => {
    const cursor = new Cursor(new MemoryStore(), "u");
    cursor.advance("9");
    expect(cursor.advance("10")).toBe(true);
    expect(cursor.advance("100")).toBe(true);
    expect(cursor.advance("99")).toBe(false);
    expect(cursor.get()).toBe("100");
  });

  it("keeps decimal sequences beyond 2^53 exactly", () => {
    const cursor = new Cursor(new MemoryStore(), "u");
    const big = "9007199254740993"; // 2^53 + 1: a Number would round it to 2^53
    expect(cursor.advance(big)).toBe(true);
    expect(cursor.get()).toBe(big);
    expect(cursor.advance("9007199254740992")).toBe(false); // 2^53, one before
    expect(cursor.advance("9007199254740994")).toBe(true);
    expect(cursor.advance("123456789012345678901234567890")).toBe(true);
    expect(cursor.get()).toBe("123456789012345678901234567890");
    expect(cursor.advance("123456789012345678901234567889")).toBe(false);
  });

  it("keeps one cursor per person: another user on the same browser starts from their own", () => {
    const store = new MemoryStore();
    const ana = new Cursor(store, "VXNlcjox");
    const beto = new Cursor(store, "VXNlcjoy");
    ana.advance("40");
    expect(beto.get()).toBeNull();
    expect(beto.advance("7")).toBe(true); // not a replay for Beto although Ana saw 40
    expect(ana.get()).toBe("40");
    expect(new Cursor(store, "VXNlcjox").get()).toBe("40"); // a reload resumes
    expect(store.items.size).toBe(2);
  });

  it("reset forgets only this person's cursor", () => {
    const store = new MemoryStore();
    const ana = new Cursor(store, "a");
    const beto = new Cursor(store, "b");
    ana.advance("40");
    beto.advance("41");
    ana.reset();
    expect(ana.get()).toBeNull();
    expect(ana.advance("1")).toBe(true);
    expect(beto.get()).toBe("41");
  });

  it("survives a storage that throws (private mode, quota) and one that is absent", () => {
    const broken = new Cursor(new ThrowingStore(), "u");
    expect(broken.get()).toBeNull();
    expect(() => broken.advance("3")).not.toThrow();
    expect(broken.advance("3")).toBe(true);
    expect(() => broken.reset()).not.toThrow();

    const none = new Cursor(null, "u");
    expect(none.get()).toBeNull();
    expect(none.advance("1")).toBe(true);
    expect(() => none.reset()).not.toThrow();
  });
});

describe("isAfter", () => {
  it("orders decimal integer strings of any length", () => {
    expect(isAfter("2", "1")).toBe(true);
    expect(isAfter("1", "2")).toBe(false);
    expect(isAfter("10", "9")).toBe(true);
    expect(isAfter("9", "10")).toBe(false);
    expect(isAfter("7", "7")).toBe(false);
    expect(isAfter("18446744073709551616", "18446744073709551615")).toBe(true);
  });
});
