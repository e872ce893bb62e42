// Avisos en este navegador (Web Push): the browser subscribes through the app's service worker
// (src/sw.ts, which shows the notices) with the server's VAPID key, and the API keeps the
// subscription for the person signed in (registerPushSubscription / removePushSubscription).
// Everything that can go wrong is said in words (PushProblem); nothing here throws anything else.

import { NetworkError, request, type Result } from "./api";
import {
  RegisterPushSubscriptionDocument, RemovePushSubscriptionDocument, WebPushPublicKeyDocument,
} from "../graphql/generated";

/**
 * - "insecure": the app is not opened over HTTPS (nor on this computer): browsers offer push only there;
 * - "unsupported": no service worker, Push API or notifications in this browser;
 * - "denied": notifications are blocked for this site (by the person or by policy);
 * - "off": it may subscribe; "on": it is subscribed.
 */
export type PushStatus = "insecure" | "unsupported" | "denied" | "off" | "on";

/** Something went wrong, in the person's words; `detail` is the browser's own (for support). */
export class PushProblem extends Error {
  constructor(message: string, readonly detail: string | null = null) {
    super(message);
  }
}

/** How long the browser's push service may take to subscribe. Chromium's needs Google's servers:
 * on a network that blocks them, subscribe() never settles; past this the person is told so. */
export const SUBSCRIBE_TIMEOUT_MS = 30_000;

class TimedOut extends Error {}

/** The promise, or TimedOut after `ms`; what it gives later goes to `late` (here: undone). */
function within<T>(promise: Promise<T>, ms: number, late: (value: T) => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let expired = false;
  promise.then((value) => expired && late(value), () => {});
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        expired = true;
        reject(new TimedOut());
      }, ms);
    }),
  ]);
}

/** A base64url string (the VAPID key) as bytes. */
export function decodeBase64Url(value: string): Uint8Array<ArrayBuffer> {
  const base64 = value.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (value.length % 4)) % 4);
  const raw = atob(base64);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

function sameBytes(a: ArrayBuffer | null | undefined, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.length) return false;
  const view = new Uint8Array(a);
  return view.every((byte, i) => byte === b[i]);
}

function support(): PushStatus | null {
  if (typeof window === "undefined") return "unsupported";
  if (!window.isSecureContext) return "insecure";
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) return "unsupported";
  return null;
}

/** The registration of the app's worker, if there is one (none in development, or not yet). */
async function existingRegistration(): Promise<ServiceWorkerRegistration | null> {
  try {
    return (await navigator.serviceWorker.getRegistration("/")) ?? null;
  } catch {
    return null;
  }
}

/** The app's worker, active (registered here if the page has not done it yet: same script and scope as pwa.ts). */
async function activeRegistration(): Promise<ServiceWorkerRegistration> {
  try {
    if (!(await existingRegistration())) await navigator.serviceWorker.register("/sw.js", { scope: "/", updateViaCache: "none" });
    return await navigator.serviceWorker.ready;
  } catch (error) {
    throw new PushProblem("Este navegador no pudo preparar la recepción de avisos. Recargue la página e intente de nuevo.",
      (error as Error).message);
  }
}

function apiProblem(result: Result<unknown>, payloadErrors: { message: string }[] | undefined, fallback: string): string | null {
  const message = payloadErrors?.[0]?.message ?? result.errors[0]?.message;
  return message ?? (result.data ? null : fallback);
}

async function register(subscription: PushSubscription): Promise<string | null> {
  const json = subscription.toJSON();
  const result = await request(RegisterPushSubscriptionDocument, {
    input: { endpoint: json.endpoint ?? subscription.endpoint, keys: { p256dh: json.keys?.p256dh ?? "", auth: json.keys?.auth ?? "" } },
  });
  return apiProblem(result, result.data?.registerPushSubscription.errors, "El servidor no guardó la suscripción de este navegador.");
}

/** Where this browser stands. A subscription it already has is confirmed to the server for the
 * person signed in now (the server keeps one owner per browser: whoever registered it last). */
export async function pushStatus(): Promise<PushStatus> {
  const unavailable = support();
  if (unavailable) return unavailable;
  if (Notification.permission === "denied") return "denied";
  const registration = await existingRegistration();
  const subscription = registration ? await registration.pushManager.getSubscription().catch(() => null) : null;
  if (!subscription || Notification.permission !== "granted") return "off";
  try {
    if (await register(subscription)) {
      await subscription.unsubscribe().catch(() => false); // the server refuses it: it would never be used
      return "off";
    }
  } catch {
    /* offline: it stays as it was */
  }
  return "on";
}

function browserProblem(error: unknown): PushProblem {
  if (error instanceof PushProblem) return error;
  if (error instanceof NetworkError) return new PushProblem(error.message);
  if (error instanceof TimedOut) {
    return new PushProblem("El servicio de avisos del navegador no respondió: puede que esta red no permita llegar a él. " +
      "Intente más tarde o desde otra red.");
  }
  const { name, message } = error as DOMException;
  const detail = [name, message].filter(Boolean).join(": ") || null;
  if (name === "NotAllowedError") {
    return new PushProblem("El navegador no dio permiso para mostrar avisos de MCS.", detail);
  }
  if (name === "NotSupportedError" || name === "InvalidAccessError") {
    return new PushProblem("Este navegador no puede recibir avisos de MCS.", detail);
  }
  // AbortError and the rest: the browser's push service refused or could not be reached
  return new PushProblem("El navegador no pudo inscribirse en su servicio de avisos: puede no tener conexión con él " +
    "o tenerlo desactivado (en una ventana privada o de incógnito no lo hay). Intente más tarde, o use otro navegador.", detail);
}

/** Asks permission, subscribes this browser and registers it. "denied" when the person said no. */
export async function startPush(): Promise<PushStatus> {
  const unavailable = support();
  if (unavailable) return unavailable;
  let subscription: PushSubscription | null = null;
  try {
    const permission = await Notification.requestPermission();
    if (permission === "denied") return "denied";
    if (permission !== "granted") {
      throw new PushProblem("El navegador no recibió su permiso: intente de nuevo y elija «Permitir».");
    }
    const keyResult = await request(WebPushPublicKeyDocument);
    const publicKey = keyResult.data?.webPushPublicKey;
    if (!publicKey) throw new PushProblem(keyResult.errors[0]?.message ?? "El servidor no dio su clave de avisos. Intente más tarde.");
    const applicationServerKey = decodeBase64Url(publicKey);
    const registration = await activeRegistration();
    const existing = await registration.pushManager.getSubscription();
    // a subscription made with another key (the server's changed) cannot be reused
    if (existing && !sameBytes(existing.options.applicationServerKey, applicationServerKey)) await existing.unsubscribe();
    // a subscription that arrives after the person was told it failed is not kept
    subscription = await within(registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey }),
      SUBSCRIBE_TIMEOUT_MS, (late) => void late.unsubscribe().catch(() => false));
    const refused = await register(subscription);
    if (refused) throw new PushProblem(refused);
    return "on";
  } catch (error) {
    await subscription?.unsubscribe().catch(() => false); // not registered: not kept either
    throw browserProblem(error);
  }
}

/** Removes this browser's subscription from the server, then from the browser. */
export async function stopPush(): Promise<PushStatus> {
  const unavailable = support();
  if (unavailable) return unavailable;
  try {
    const registration = await existingRegistration();
    const subscription = registration ? await registration.pushManager.getSubscription() : null;
    if (!subscription) return "off";
    const result = await request(RemovePushSubscriptionDocument, { input: { endpoint: subscription.endpoint } });
    const errors = result.data?.removePushSubscription.errors ?? [];
    // NOT_FOUND: the server had already forgotten it; the browser forgets it too
    const refused = errors.find((e) => e.code !== "NOT_FOUND");
    if (refused || (!result.data && result.errors.length)) {
      throw new PushProblem(refused?.message ?? result.errors[0].message);
    }
    await subscription.unsubscribe();
    return Notification.permission === "denied" ? "denied" : "off";
  } catch (error) {
    throw browserProblem(error);
  }
}

/** On sign-out: this browser stops receiving the person's notices (a shared computer must not
 * show the next person someone else's), quietly — signing out never fails because of it. */
export async function forgetThisBrowser(): Promise<void> {
  if (support()) return;
  try {
    const registration = await existingRegistration();
    const subscription = registration ? await registration.pushManager.getSubscription() : null;
    if (!subscription) return;
    await request(RemovePushSubscriptionDocument, { input: { endpoint: subscription.endpoint } }).catch(() => null);
    await subscription.unsubscribe();
  } catch {
    /* offline or refused: the server forgets it when the push service reports it gone */
  }
}
