// An event of the history in words a person understands: what happened, and its details
// (the unit turned to, the reason, the corrected fields…). Ids in `data` are global IDs.

import type { DocumentHistoryQuery, EventKind } from "../../graphql/generated";
import { EVENT_WORDS, INSTRUCTION_WORDS, formatDate } from "../../lib/format";
import { FIELD_WORDS, ORIGIN_WORDS, PRIORITY_WORDS, SENDER_LEVEL_WORDS } from "./words";

type HistoryNode = Extract<NonNullable<DocumentHistoryQuery["node"]>, { history: unknown }>;
export type HistoryEvent = HistoryNode["history"]["edges"][number]["node"];

export interface UnitName { acronym: string; name: string }
export interface Described { what: string; details: string[] }

type Data = Record<string, unknown>;

function text(value: unknown): string | null {
  return typeof value === "string" && value.trim() ? value : null;
}

function unitWords(units: Map<string, UnitName>, id: unknown): string | null {
  if (typeof id !== "string") return null;
  const unit = units.get(id);
  return unit ? `${unit.acronym} (${unit.name})` : null;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function valueWords(field: string, value: unknown): string {
  if (value === null || value === undefined || value === "") return "vacío";
  if (typeof value === "boolean") return value ? "Sí" : "No";
  const s = String(value);
  if (field === "priority") return PRIORITY_WORDS[s as keyof typeof PRIORITY_WORDS] ?? s;
  if (field === "origin") return ORIGIN_WORDS[s as keyof typeof ORIGIN_WORDS] ?? s;
  if (field === "sender.level") return SENDER_LEVEL_WORDS[s as keyof typeof SENDER_LEVEL_WORDS] ?? s;
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return formatDate(s);
  const short = s.length > 120 ? `${s.slice(0, 117)}…` : s;
  return `«${short}»`;
}

export function describe(event: HistoryEvent, units: Map<string, UnitName>): Described {
  const data = (event.data && typeof event.data === "object" ? event.data : {}) as Data;
  const number = event.turno?.number ?? text(data.number);
  const details: string[] = [];
  let what = EVENT_WORDS[event.kind as EventKind] ?? event.kind;
  const ofTurno = number ? ` ${number}` : "";

  switch (event.kind) {
    case "DOCUMENT_REGISTERED": {
      const unit = unitWords(units, data.unitId);
      if (unit) what = `Registró el documento en ${unit}`;
      const files = Number(data.attachments ?? 0);
      if (files) details.push(`Con ${plural(files, "archivo", "archivos")}`);
      break;
    }
    case "DOCUMENT_UPDATED": {
      const changes = Array.isArray(data.changes) ? (data.changes as Data[]) : [];
      const files = Number(data.attachments ?? 0);
      if (!changes.length && files) what = `Adjuntó ${plural(files, "archivo", "archivos")}`;
      for (const change of changes) {
        const field = String(change.field ?? "");
        const label = FIELD_WORDS[field] ?? field;
        details.push(change.masked
          ? `${label}: dato protegido`
          : `${label}: de ${valueWords(field, change.old)} a ${valueWords(field, change.new)}`);
      }
      break;
    }
    case "DOCUMENT_ARCHIVED":
      if (text(data.series)) details.push(`Serie ${data.series}`);
      if (text(data.fileNumber)) details.push(`Expediente ${data.fileNumber}`);
      break;
    case "TURNO_SENT": {
      const to = unitWords(units, data.toUnitId);
      what = to ? `Turnó a ${to}` : "Turnó";
      if (number) details.push(`Turno ${number}`);
      const from = typeof data.fromUnitId === "string" ? units.get(data.fromUnitId) : undefined;
      if (from) details.push(`Desde ${from.acronym}`);
      const instruction = INSTRUCTION_WORDS[data.instruction as keyof typeof INSTRUCTION_WORDS];
      if (instruction) details.push(`Instrucción: ${instruction}`);
      details.push(text(data.dueDate) ? `Fecha límite: ${formatDate(String(data.dueDate))}` : "Sin fecha límite");
      break;
    }
    case "TURNO_RECEIVED":
      what = `Acusó recibo del turno${ofTurno}`;
      break;
    case "TURNO_ANSWERED": {
      what = `Respondió el turno${ofTurno}`;
      if (typeof data.round === "number" && data.round > 1) details.push(`Vuelta ${data.round}`);
      const files = Number(data.attachments ?? 0);
      if (files) details.push(`Con ${plural(files, "archivo", "archivos")}`);
      break;
    }
    case "TURNO_RETURNED":
      what = `Devolvió la respuesta del turno${ofTurno}`;
      if (text(data.dueDate)) details.push(`Fecha límite: ${formatDate(String(data.dueDate))}`);
      break;
    case "TURNO_CONCLUDED":
      what = data.responseId ? `Aceptó la respuesta y concluyó el turno${ofTurno}` : `Concluyó el turno${ofTurno}`;
      break;
    case "TURNO_CANCELLED":
      what = `Canceló el turno${ofTurno}`;
      if (data.cascadeFromId) details.push("Junto con el turno del que deriva");
      if (text(data.reason)) details.push(`Motivo: ${data.reason}`);
      break;
    case "DEADLINE_NEAR":
      what = `El turno${ofTurno} está por vencer`;
      if (text(data.dueDate)) details.push(`Vence el ${formatDate(String(data.dueDate))}`);
      break;
    case "DEADLINE_PASSED":
      what = `Venció el término del turno${ofTurno}`;
      if (text(data.dueDate)) details.push(`Venció el ${formatDate(String(data.dueDate))}`);
      break;
  }
  return { what, details };
}
