// What was typed and chosen on Registrar, kept while the app stays open (not stored anywhere):
// leaving the screen by mistake, or signing in again after the session ended, brings it back.
// It belongs to one person: another account signing in on this tab never sees it.

import type { RegisterForm } from "./form";
import { emptyForm } from "./form";

export interface Draft {
  userId: string;
  form: RegisterForm;
  files: File[];
  moreOpen: boolean;
}

let kept: Draft | null = null;

/** Whether there is anything worth keeping (the unit and the type alone are not). */
export function worthKeeping(form: RegisterForm, files: File[]): boolean {
  const blank = emptyForm({ unitId: form.unitId, documentType: form.documentType });
  return files.length > 0 || (Object.keys(blank) as (keyof RegisterForm)[]).some((k) => blank[k] !== form[k]);
}

export function keepDraft(draft: Draft): void {
  kept = worthKeeping(draft.form, draft.files) ? draft : null;
}

/** The draft of this person, once (taking it forgets it). */
export function takeDraft(userId: string | undefined): Draft | null {
  const draft = kept;
  kept = null;
  return draft && userId && draft.userId === userId ? draft : null;
}
