// Words and small helpers of the detail screens (turno, documento): what the API returns, written
// for people; and how a mutation's errors are placed next to the fields they name.

import type { GraphQLErrorItem, Result } from "../../lib/api";
import type { Origin, Priority, SenderLevel } from "../../graphql/generated";

export const SENDER_LEVEL_WORDS: Record<SenderLevel, string> = {
  FEDERAL: "Gobierno federal",
  STATE: "Gobierno estatal",
  MUNICIPAL: "Gobierno municipal",
  ORGANIZATION: "Organización",
  CITIZEN: "Ciudadanía",
  INTERNAL: "Unidad interna",
};

export const PRIORITY_WORDS: Record<Priority, string> = { NORMAL: "Normal", URGENT: "Urgente" };
export const ORIGIN_WORDS: Record<Origin, string> = { INTERNAL: "Interno", EXTERNAL: "Externo" };

/** The fields a correction (DOCUMENT_UPDATED `changes`) names. */
export const FIELD_WORDS: Record<string, string> = {
  origin: "Origen",
  documentType: "Tipo de documento",
  subject: "Asunto",
  summary: "Resumen",
  reference: "Referencia",
  addressee: "Destinatario",
  documentDate: "Fecha del documento",
  dueDate: "Fecha límite",
  priority: "Prioridad",
  confidential: "Confidencial",
  "sender.level": "Nivel del remitente",
  "sender.name": "Nombre del remitente",
  "sender.position": "Cargo del remitente",
  "sender.organization": "Organización del remitente",
  "sender.email": "Correo del remitente",
  "sender.phone": "Teléfono del remitente",
  "sender.address": "Domicilio del remitente",
};

const longDateFormat = new Intl.DateTimeFormat("es-MX", {
  weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC",
});

/** A `Date` of the API in full: "viernes, 11 de diciembre de 2026". */
export function longDate(day: string | null | undefined): string {
  if (!day) return "";
  const [y, m, d] = day.split("-").map(Number);
  return longDateFormat.format(new Date(Date.UTC(y, m - 1, d)));
}

/** Today in the institution's time zone, as YYYY-MM-DD (the `min` of date fields). */
export function today(): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "America/Mexico_City" }).format(new Date());
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1).replace(".", ",")} MB`;
}

export function fileKind(contentType: string): "pdf" | "image" | "other" {
  if (contentType === "application/pdf") return "pdf";
  if (/^image\/(png|jpeg|gif|webp)$/.test(contentType)) return "image";
  return "other";
}

export function kindWord(contentType: string): string {
  const kind = fileKind(contentType);
  if (kind === "pdf") return "PDF";
  if (kind === "image") return `Imagen ${contentType.split("/")[1].toUpperCase()}`;
  return contentType;
}

/** Accent- and case-insensitive text, for filtering lists as people type. */
export function fold(text: string): string {
  return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

export type FieldErrors = Record<string, string>;
export interface ErrorLike { field?: string | null; message: string }

/**
 * What a mutation of the detail screens answered, as its form or button needs it: the whole
 * result (its top-level errors are placed too), the payload's errors, and what to announce when
 * it worked (null when it did not).
 */
export interface Answer {
  result: Result<unknown>;
  errors: readonly ErrorLike[] | null | undefined;
  done: string | null;
}

/**
 * The errors of a mutation by the field they name (`place` turns an API field into one of the
 * form's keys, or null for the banner, kept under "form"); top-level GraphQL errors too.
 */
export function placeErrors(
  payload: readonly ErrorLike[] | null | undefined,
  result: Result<unknown> | null,
  place: (field: string) => string | null,
  prefix: (field: string) => string = () => "",
): FieldErrors {
  const all: ErrorLike[] = [...(payload ?? [])];
  for (const e of result?.errors ?? []) all.push({ field: fieldOf(e), message: e.message });
  const placed: FieldErrors = {};
  for (const e of all) {
    const key = (e.field && place(e.field)) || "form";
    const message = (e.field ? prefix(e.field) : "") + e.message;
    placed[key] = placed[key] ? `${placed[key]} ${message}` : message;
  }
  return placed;
}

function fieldOf(error: GraphQLErrorItem): string | null {
  const field = error.extensions?.field;
  return typeof field === "string" ? field : null;
}

/** Variables of a multipart upload: a null where each file goes (api.upload maps them). */
export function fileSlots(files: File[]): File[] {
  return files.map(() => null as unknown as File);
}

export function filesMap(prefix: string, files: File[]): Record<string, File> {
  return Object.fromEntries(files.map((file, i) => [`${prefix}.${i}`, file]));
}
