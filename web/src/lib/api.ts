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

/** Waits before each retry of a mutation whose answer was lost (no connection, or 503). */
export const RETRY_DELAYS_MS = [500, 1500, 3000];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function isMutation(query: string): boolean {
  return /^\s*mutation\b/.test(query);
}

/** A fresh Idempotency-Key: a retry with it gets the first try's result, never a second document. */
export function idempotencyKey(): string {
  // getRandomValues, not randomUUID: the latter exists only on HTTPS, and intranets serve HTTP
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function send<T>(body: BodyInit, extra: Record<string, string>, signal?: AbortSignal,
                       mutation = false): Promise<Result<T>> {
  // A mutation carries an Idempotency-Key; when its answer is lost (the connection dropped, or
  // the server answered 503 while its database restarts) it is sent again with the same key:
  // the server answers what the first try did, if it did anything.
  const keyed: Record<string, string> = mutation ? { "Idempotency-Key": idempotencyKey() } : {};
  let response!: Response;
  for (let attempt = 0; ; attempt++) {
    const last = !mutation || attempt >= RETRY_DELAYS_MS.length;
    try {
      response = await fetch("/graphql", { method: "POST", body, headers: { ...headers(), ...extra, ...keyed }, signal });
    } catch (error) {
      if ((error as Error).name === "AbortError") throw error;
      if (last) throw new NetworkError("No hay conexión con el servidor.");
      await sleep(RETRY_DELAYS_MS[attempt]);
      continue;
    }
    if (response.status !== 503 || last) break;
    await sleep(RETRY_DELAYS_MS[attempt]);
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
  const query = document.toString();
  return send<T>(JSON.stringify({ query, variables: variables ?? {} }),
    { "Content-Type": "application/json" }, signal, isMutation(query));
}

/** A mutation with files: `files` maps a variable path (e.g. "input.files.0") to a File. */
export function upload<T, V>(document: Document<T, V>, variables: V, files: Record<string, File>): Promise<Result<T>> {
  const form = new FormData();
  const paths = Object.keys(files);
  form.append("operations", JSON.stringify({ query: document.toString(), variables }));
  form.append("map", JSON.stringify(Object.fromEntries(paths.map((path, i) => [String(i), [`variables.${path}`]]))));
  paths.forEach((path, i) => form.append(String(i), files[path], files[path].name));
  return send<T>(form, { "x-mcs-csrf": "1" }, undefined, true);
}

/** The message of the first error, for a banner. */
export function firstMessage(result: Result<unknown>): string | null {
  return result.errors[0]?.message ?? null;
}
