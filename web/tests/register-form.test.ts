import { describe, expect, it } from "vitest";
import {
  acceptedFile, checkBeforeSending, emptyForm, fileSize, folioParts, levelForOrigin, order, originForLevel, targetOf, toInput,
} from "../src/components/register/form";

describe("origin and sender level agree", () => {
  it("an internal document has an internal sender", () => {
    expect(levelForOrigin("INTERNAL", "CITIZEN")).toBe("INTERNAL");
    expect(levelForOrigin("EXTERNAL", "INTERNAL")).toBe("");
    expect(levelForOrigin("EXTERNAL", "STATE")).toBe("STATE");
    expect(originForLevel("INTERNAL", "EXTERNAL")).toBe("INTERNAL");
    expect(originForLevel("FEDERAL", "INTERNAL")).toBe("EXTERNAL");
    expect(originForLevel("", "INTERNAL")).toBe("INTERNAL");
  });
});

describe("checkBeforeSending", () => {
  it("lets the API check what it can receive", () => {
    const form = { ...emptyForm({ unitId: "U1", documentType: "OFICIO" }), senderLevel: "STATE" as const };
    expect(checkBeforeSending(form, true)).toEqual([]);
  });
  it("lists every problem at once when a choice is missing", () => {
    const form = { ...emptyForm(), senderEmail: "a@@b" };
    expect(checkBeforeSending(form, true).map((p) => p.field)).toEqual([
      "unitId", "documentType", "sender.name", "sender.level", "subject", "sender.email",
    ]);
  });
});

describe("errors point at their fields", () => {
  it("maps API fields to elements", () => {
    expect(targetOf("subject")).toBe("reg-asunto");
    expect(targetOf("sender.name")).toBe("reg-remitente");
    expect(targetOf("files.1")).toBe("reg-archivo-1");
    expect(targetOf("receivedAt")).toBeNull();
    expect(targetOf(null)).toBeNull();
  });
  it("orders problems as the page reads", () => {
    const sorted = order([{ field: "files.0", message: "" }, { field: null, message: "" }, { field: "documentType", message: "" }]);
    expect(sorted.map((p) => p.field)).toEqual([null, "documentType", "files.0"]);
  });
});

describe("toInput", () => {
  it("sends null for empty optional fields and one null per file", () => {
    const input = toInput({ ...emptyForm({ unitId: "U", documentType: "OFICIO" }), senderLevel: "CITIZEN", subject: "A",
      senderName: "B", reference: "  " }, 2);
    expect(input.reference).toBeNull();
    expect(input.sender.email).toBeNull();
    expect(input.documentDate).toBeNull();
    expect(input.files).toEqual([null, null]);
    expect(toInput(emptyForm(), 0).files).toBeNull();
  });
});

describe("files", () => {
  it("accepts PDF and the images the API reads", () => {
    expect(acceptedFile(new File(["x"], "a.pdf", { type: "application/pdf" }))).toBe(true);
    expect(acceptedFile(new File(["x"], "a.TIF"))).toBe(true);
    expect(acceptedFile(new File(["x"], "a.docx", { type: "application/msword" }))).toBe(false);
    expect(acceptedFile(new File(["x"], "a.heic", { type: "image/heic" }))).toBe(false);
  });
  it("writes sizes", () => {
    expect(fileSize(500)).toBe("500 B");
    expect(fileSize(2048)).toBe("2 KB");
  });
});

describe("folioParts", () => {
  it("finds the folios and dates of a duplicate warning", () => {
    const parts = folioParts("Posible duplicado: DAF/2026/000023, recibido el 2026-12-05, tiene el mismo remitente.");
    expect(parts.filter((p) => p.kind === "folio").map((p) => p.text)).toEqual(["DAF/2026/000023"]);
    expect(parts.filter((p) => p.kind === "date").map((p) => p.text)).toEqual(["2026-12-05"]);
    expect(parts.map((p) => p.text).join("")).toContain("tiene el mismo remitente.");
  });
});
