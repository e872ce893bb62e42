// What every action form of the detail screens does with its mutation (ActionForm.svelte draws
// the frame): busy while it runs; on success the message goes to the screen (onDone); on failure
// the errors are placed by the field they name (placeErrors), the rest in the form's banner, the
// first field in error gets the focus, and what was typed stays.

import { placeErrors, type Answer, type FieldErrors } from "./words";

export interface Sending {
  /** The API's field → the form's key for it (null: the banner). */
  place: (field: string) => string | null;
  /** Words before a field's message (e.g. which recipient it is about). */
  prefix?: (field: string) => string;
  /** The banner's message when the API said no without saying why. */
  fallback: string;
  /** The form's keys with the id of their field, in the order of the form: the first in error gets the focus. */
  focus?: [key: string, elementId: string][];
  onDone: (message: string) => void;
}

export class FormState {
  /** By the form's keys; "form" is the banner's. */
  errors = $state<FieldErrors>({});
  busy = $state(false);

  async send(mutate: () => Promise<Answer>, { place, prefix, fallback, focus, onDone }: Sending): Promise<void> {
    this.busy = true;
    this.errors = {};
    try {
      const { result, errors, done } = await mutate();
      if (done !== null) {
        onDone(done);
        return;
      }
      this.errors = placeErrors(errors, result, place, prefix);
      if (!Object.keys(this.errors).length) this.errors = { form: fallback };
      if (focus) {
        queueMicrotask(() => {
          const first = focus.find(([key]) => this.errors[key]);
          if (first) document.getElementById(first[1])?.focus();
        });
      }
    } catch (failure) {
      this.errors = { form: (failure as Error).message };
    } finally {
      this.busy = false;
    }
  }
}
