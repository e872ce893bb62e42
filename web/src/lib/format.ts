// How the app writes what the API returns: the traffic light in words (never colour alone),
// business days left, dates in Spanish (Mexico). Pure functions, tested with vitest.

import type { TrafficLight, TurnoStatus, Instruction, DocumentStatus, Role, EventKind } from "../graphql/generated";

export const LIGHT_WORDS: Record<TrafficLight, string> = {
  GREEN: "En tiempo",
  YELLOW: "Por vencer",
  RED: "Vencido",
  NONE: "Sin término",
};

export const LIGHT_ORDER: TrafficLight[] = ["RED", "YELLOW", "GREEN", "NONE"];

export function lightWord(light: TrafficLight): string {
  return LIGHT_WORDS[light];
}

/** "Vence hoy", "Falta 1 día hábil", "Faltan 3 días hábiles", "Venció hace 2 días hábiles". */
export function daysLeftPhrase(days: number | null | undefined): string | null {
  if (days === null || days === undefined) return null;
  if (days === 0) return "Vence hoy";
  const n = Math.abs(days);
  const unit = n === 1 ? "día hábil" : "días hábiles";
  if (days > 0) return `${n === 1 ? "Falta" : "Faltan"} ${n} ${unit}`;
  return `Venció hace ${n} ${unit}`;
}

export const STATUS_WORDS: Record<TurnoStatus, string> = {
  SENT: "Enviado",
  RECEIVED: "Recibido",
  ANSWERED: "Respondido",
  RETURNED: "Devuelto",
  CONCLUDED: "Concluido",
  CANCELLED: "Cancelado",
};

export const DOCUMENT_STATUS_WORDS: Record<DocumentStatus, string> = {
  REGISTERED: "Registrado",
  IN_PROGRESS: "En trámite",
  CONCLUDED: "Concluido",
  ARCHIVED: "Archivado",
};

export const INSTRUCTION_WORDS: Record<Instruction, string> = {
  ATTENTION: "Atención",
  RESPONSE: "Respuesta",
  OPINION: "Opinión",
  KNOWLEDGE: "Para conocimiento",
};

export const ROLE_WORDS: Record<Role, string> = {
  ADMIN: "Administración",
  HEAD: "Titular",
  REGISTRAR: "Control de gestión",
  STAFF: "Personal",
  VIEWER: "Consulta",
};

export const EVENT_WORDS: Record<EventKind, string> = {
  DOCUMENT_REGISTERED: "Registró el documento",
  DOCUMENT_UPDATED: "Corrigió el registro",
  DOCUMENT_CONCLUDED: "Concluyó el documento",
  DOCUMENT_ARCHIVED: "Archivó el documento",
  TURNO_SENT: "Turnó",
  TURNO_RECEIVED: "Acusó recibo",
  TURNO_ANSWERED: "Respondió",
  TURNO_RETURNED: "Devolvió la respuesta",
  TURNO_CONCLUDED: "Concluyó el turno",
  TURNO_CANCELLED: "Canceló el turno",
  DEADLINE_NEAR: "El término está por vencer",
  DEADLINE_PASSED: "Venció el término",
  ORG_UNIT_CHANGED: "Cambió una unidad",
  USER_CHANGED: "Cambió una cuenta",
  CATALOG_CHANGED: "Cambió un catálogo",
};

const TZ = "America/Mexico_City";
const dateFormat = new Intl.DateTimeFormat("es-MX", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
const dateTimeFormat = new Intl.DateTimeFormat("es-MX", {
  day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZone: TZ,
});

/** A `Date` of the API (YYYY-MM-DD, a calendar day): "9 mar 2026". */
export function formatDate(day: string | null | undefined): string {
  if (!day) return "";
  const [y, m, d] = day.split("-").map(Number);
  return dateFormat.format(new Date(Date.UTC(y, m - 1, d)));
}

/** A `DateTime` of the API, in the institution's time zone: "2 mar 2026, 10:00". */
export function formatDateTime(moment: string | null | undefined): string {
  if (!moment) return "";
  return dateTimeFormat.format(new Date(moment));
}

/** The subject as people may read it: a confidential one they may not read says so. */
export function subjectOf(document: { subject: string | null; confidential: boolean }): string {
  if (document.subject !== null) return document.subject;
  return document.confidential ? "Confidencial" : "";
}
