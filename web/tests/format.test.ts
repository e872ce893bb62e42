// How the app writes what the API returns: days left, the light in words, dates in Spanish.
import { describe, expect, it } from "vitest";
import {
  LIGHT_ORDER, LIGHT_WORDS, daysLeftPhrase, formatDate, formatDateTime, lightWord, subjectOf,
} from "../src/lib/format";

describe("daysLeftPhrase", () => {
  it("says 'Vence hoy' on the last day", () => {
    expect(daysLeftPhrase(0)).toBe("Vence hoy");
  });

  it("counts business days left, singular and plural", () => {
    expect(daysLeftPhrase(1)).toBe("Falta 1 día hábil");
    expect(daysLeftPhrase(3)).toBe("Faltan 3 días hábiles");
  });

  it("counts business days since it passed, singular and plural", () => {
    expect(daysLeftPhrase(-1)).toBe("Venció hace 1 día hábil");
    expect(daysLeftPhrase(-3)).toBe("Venció hace 3 días hábiles");
  });

  it("says nothing without a deadline", () => {
    expect(daysLeftPhrase(null)).toBeNull();
    expect(daysLeftPhrase(undefined)).toBeNull();
  });
});

describe("the light in words (never colour alone)", () => {
  it("names every light as docs/ui.md fixes it", () => {
    expect(lightWord("GREEN")).toBe("En tiempo");
    expect(lightWord("YELLOW")).toBe("Por vencer");
    expect(lightWord("RED")).toBe("Vencido");
    expect(lightWord("NONE")).toBe("Sin término");
  });

  it("has a distinct word for each light, and orders the counters by urgency", () => {
    expect(new Set(Object.values(LIGHT_WORDS)).size).toBe(4);
    expect(LIGHT_ORDER).toEqual(["RED", "YELLOW", "GREEN", "NONE"]);
  });
});

describe("dates", () => {
  it("writes a calendar day in Spanish without moving it by the time zone", () => {
    expect(formatDate("2026-03-09")).toBe("9 mar 2026");
    expect(formatDate("2026-01-01")).toBe("1 ene 2026");
    expect(formatDate("2025-12-31")).toBe("31 dic 2025");
  });

  it("writes nothing for no date", () => {
    expect(formatDate(null)).toBe("");
    expect(formatDate(undefined)).toBe("");
    expect(formatDateTime(null)).toBe("");
  });

  it("writes a moment in the institution's time zone (Mexico City, UTC-6)", () => {
    const morning = formatDateTime("2026-03-02T16:00:00Z");
    expect(morning).toMatch(/^2 mar 2026/);
    expect(morning).toMatch(/\b10:00\b/);
    // 05:30 UTC on New Year's Day is still the last evening of the year in Mexico City
    const eve = formatDateTime("2026-01-01T05:30:00Z");
    expect(eve).toMatch(/^31 dic 2025/);
    expect(eve).toMatch(/\b11:30\b/);
  });
});

describe("subjectOf", () => {
  it("shows the subject, or says it is confidential when it may not be read", () => {
    expect(subjectOf({ subject: "Solicitud", confidential: false })).toBe("Solicitud");
    expect(subjectOf({ subject: "Solicitud", confidential: true })).toBe("Solicitud");
    expect(subjectOf({ subject: null, confidential: true })).toBe("Confidencial");
    expect(subjectOf({ subject: null, confidential: false })).toBe("");
  });
});
