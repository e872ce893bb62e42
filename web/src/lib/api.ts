// GraphQL over HTTP, as any client of the public API: JSON for queries and mutations, the
// GraphQL multipart request for files (with the x-mcs-csrf header the server requires).

import type { DocumentTypeDecoration } from "@graphql-typed-document-node/core";
import { session } from "./session.svelte";

export interface GraphQLErrorItem {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

export interface Result<T> {
  data: T | null;
  errors: GraphQLErrorItem[];
}

/** The server could not be reached or answered something that is not GraphQL. */
export class NetworkError extends Error {}

type Document<T, V> = DocumentTypeDecoration<T, V> & { toString(): string };

function headers(): Record<string, string> {
  return session.token ? { Authorization: `Bearer ${session.token}` } : {};
}

async function send<T>(body: BodyInit, extra: Record<string, string>, signal?: AbortSignal): Promise<Result<T>> {
  let response: Response;
  try {
    response = await fetch("/graphql", { method: "POST", body, headers: { ...headers(), ...extra }, signal });
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new NetworkError("No hay conexión con el servidor.");
  }
  let parsed: { data?: T | null; errors?: GraphQLErrorItem[] };
  try {
    parsed = await response.json();
  } catch {
    throw new NetworkError(`El servidor respondió ${response.status}.`);
  }
  const errors = parsed.errors ?? [];
  if (errors.some((e) => e.extensions?.code === "UNAUTHENTICATED") && session.token) {
    session.expire(); // the token ended (expired, logged out elsewhere): sign in again, then come back
  }
  return { data: parsed.data ?? null, errors };
}

export function request<T, V>(document: Document<T, V>, variables?: V, signal?: AbortSignal): Promise<Result<T>> {
  return send<T>(JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
    { "Content-Type": "application/json" }, signal);
}

/** A mutation with files: `files` maps a variable path (e.g. "input.files.0") to a File. */
export function upload<T, V>(document: Document<T, V>, variables: V, files: Record<string, File>): Promise<Result<T>> {
  const form = new FormData();
  const paths = Object.keys(files);
  form.append("operations", JSON.stringify({ query: document.toString(), variables }));
  form.append("map", JSON.stringify(Object.fromEntries(paths.map((path, i) => [String(i), [`variables.${path}`]]))));
  paths.forEach((path, i) => form.append(String(i), files[path], files[path].name));
  return send<T>(form, { "x-mcs-csrf": "1" });
}

/** The message of the first error, for a banner. */
export function firstMessage(result: Result<unknown>): string | null {
  return result.errors[0]?.message ?? null;
}
