// The registration form as data: its fields, the Spanish words of the API's enums, which element
// shows the error of each API field, the checks that must pass before anything is sent, and the
// RegisterDocumentInput built from it. Pure functions (no Svelte), tested with vitest.

import type { Origin, Priority, RegisterDocumentInput, SenderLevel } from "../../graphql/generated";

export const ORIGIN_WORDS: Record<Origin, string> = { EXTERNAL: "Externo", INTERNAL: "Interno" };

/** External levels first, in the order people think of them; INTERNAL is the internal one. */
export const EXTERNAL_LEVELS: SenderLevel[] = ["FEDERAL", "STATE", "MUNICIPAL", "ORGANIZATION", "CITIZEN"];

export const SENDER_LEVEL_WORDS: Record<SenderLevel, string> = {
  FEDERAL: "Federal",
  STATE: "Estatal",
  MUNICIPAL: "Municipal",
  ORGANIZATION: "Organización",
  CITIZEN: "Ciudadano",
  INTERNAL: "Interno",
};

export const PRIORITY_WORDS: Record<Priority, string> = { NORMAL: "Normal", URGENT: "Urgente" };

export interface RegisterForm {
  unitId: string;
  documentType: string;
  origin: Origin;
  /** "" until chosen. */
  senderLevel: SenderLevel | "";
  subject: string;
  senderName: string;
  reference: string;
  summary: string;
  confidential: boolean;
  // "Más datos"
  senderPosition: string;
  senderOrganization: string;
  senderEmail: string;
  senderPhone: string;
  senderAddress: string;
  documentDate: string;
  dueDate: string;
  priority: Priority;
  addressee: string;
}

export function emptyForm(keep: Partial<Pick<RegisterForm, "unitId" | "documentType">> = {}): RegisterForm {
  return {
    unitId: keep.unitId ?? "",
    documentType: keep.documentType ?? "",
    origin: "EXTERNAL",
    senderLevel: "",
    subject: "",
    senderName: "",
    reference: "",
    summary: "",
    confidential: false,
    senderPosition: "",
    senderOrganization: "",
    senderEmail: "",
    senderPhone: "",
    senderAddress: "",
    documentDate: "",
    dueDate: "",
    priority: "NORMAL",
    addressee: "",
  };
}

/** The sender level that agrees with a newly chosen origin (an internal document has an
 *  internal sender; an external one any external level, to be chosen if it was "Interno"). */
export function levelForOrigin(origin: Origin, level: SenderLevel | ""): SenderLevel | "" {
  if (origin === "INTERNAL") return "INTERNAL";
  return level === "INTERNAL" ? "" : level;
}

/** The origin that agrees with a newly chosen sender level. */
export function originForLevel(level: SenderLevel | "", origin: Origin): Origin {
  if (level === "") return origin;
  return level === "INTERNAL" ? "INTERNAL" : "EXTERNAL";
}

/** The id of the element that shows each API field (the field's error sits next to it), in the
 *  order of the page. */
export const FIELD_IDS: Record<string, string> = {
  unitId: "reg-unidad",
  documentType: "reg-tipo",
  origin: "reg-origen",
  "sender.name": "reg-remitente",
  "sender.level": "reg-nivel",
  reference: "reg-referencia",
  subject: "reg-asunto",
  summary: "reg-resumen",
  confidential: "reg-confidencial",
  "sender.position": "reg-cargo",
  "sender.organization": "reg-dependencia",
  "sender.email": "reg-correo",
  "sender.phone": "reg-telefono",
  "sender.address": "reg-domicilio",
  documentDate: "reg-fecha-documento",
  dueDate: "reg-fecha-limite",
  priority: "reg-prioridad",
  addressee: "reg-destinatario",
  files: "reg-archivos",
};

/** Fields kept behind "Más datos": an error on one of them opens it. */
export const MORE_FIELDS = new Set([
  "sender.position", "sender.organization", "sender.email", "sender.phone", "sender.address",
  "documentDate", "dueDate", "priority", "addressee",
]);

/** The element a field's error points to: "files.1" is the second file of the list. */
export function targetOf(field: string | null | undefined): string | null {
  if (!field) return null;
  const file = /^files\.(\d+)$/.exec(field);
  if (file) return `reg-archivo-${file[1]}`;
  return FIELD_IDS[field] ?? null;
}

export interface FieldProblem {
  field: string | null;
  message: string;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** What must be fixed before anything can be sent (a choice the API cannot receive empty).
 *  When something is, the checks the API would make on the rest are made here too, with the
 *  API's words, so that the person sees every problem at once. */
export function checkBeforeSending(form: RegisterForm, needsUnit: boolean): FieldProblem[] {
  const blocking: FieldProblem[] = [];
  if (needsUnit && !form.unitId) blocking.push({ field: "unitId", message: "Elija la unidad que registra." });
  if (!form.documentType) blocking.push({ field: "documentType", message: "Elija el tipo de documento." });
  if (!form.senderLevel) blocking.push({ field: "sender.level", message: "Elija el nivel del remitente." });
  if (!blocking.length) return [];
  const rest: FieldProblem[] = [];
  if (!form.subject.trim()) rest.push({ field: "subject", message: "El asunto es obligatorio." });
  if (!form.senderName.trim()) rest.push({ field: "sender.name", message: "El nombre del remitente es obligatorio." });
  if (form.senderEmail.trim() && !EMAIL.test(form.senderEmail.trim())) {
    rest.push({ field: "sender.email", message: "El correo electrónico no es válido." });
  }
  return order([...blocking, ...rest]);
}

/** Problems in the order of the form, so the summary reads like the page. */
export function order(problems: FieldProblem[]): FieldProblem[] {
  const ids = Object.keys(FIELD_IDS);
  const rank = (p: FieldProblem) => {
    if (!p.field) return -1;
    const file = /^files\.(\d+)$/.exec(p.field);
    if (file) return ids.indexOf("files") + (Number(file[1]) + 1) / 1000;
    const i = ids.indexOf(p.field);
    return i < 0 ? ids.length : i;
  };
  return [...problems].sort((a, b) => rank(a) - rank(b));
}

const text = (value: string): string | null => value.trim() || null;

/** The mutation's input; `files` holds one null per file (the multipart request fills them). */
export function toInput(form: RegisterForm, fileCount: number): RegisterDocumentInput {
  return {
    unitId: form.unitId,
    origin: form.origin,
    documentType: form.documentType,
    subject: form.subject,
    sender: {
      level: form.senderLevel as SenderLevel,
      name: form.senderName,
      position: text(form.senderPosition),
      organization: text(form.senderOrganization),
      email: text(form.senderEmail),
      phone: text(form.senderPhone),
      address: text(form.senderAddress),
    },
    reference: text(form.reference),
    summary: text(form.summary),
    addressee: text(form.addressee),
    documentDate: form.documentDate || null,
    dueDate: form.dueDate || null,
    priority: form.priority,
    confidential: form.confidential,
    files: fileCount ? (Array.from({ length: fileCount }, () => null) as unknown as File[]) : null,
  };
}

/** The files people may add: what the API accepts (it checks the content; this is a first look). */
export function acceptedFile(file: File): boolean {
  const types = ["application/pdf", "image/jpeg", "image/png", "image/tiff"];
  if (types.includes(file.type)) return true;
  return !file.type && /\.(pdf|jpe?g|png|tiff?)$/i.test(file.name);
}

/** "850 KB", "1.4 MB". */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toLocaleString("es-MX", { maximumFractionDigits: 1 })} MB`;
}

/** A warning's text cut into plain parts, folios (to link each one to its search) and dates
 *  (YYYY-MM-DD, to write them in Spanish). */
export function folioParts(warning: string): { text: string; kind: "text" | "folio" | "date" }[] {
  const parts: { text: string; kind: "text" | "folio" | "date" }[] = [];
  const pattern = /([A-Z0-9ÑÁÉÍÓÚ-]+\/\d{4}\/\d+)|(\b\d{4}-\d{2}-\d{2}\b)/g;
  let last = 0;
  for (const found of warning.matchAll(pattern)) {
    const at = found.index ?? 0;
    if (at > last) parts.push({ text: warning.slice(last, at), kind: "text" });
    parts.push({ text: found[0], kind: found[1] ? "folio" : "date" });
    last = at + found[0].length;
  }
  if (last < warning.length) parts.push({ text: warning.slice(last), kind: "text" });
  return parts;
}
