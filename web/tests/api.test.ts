// GraphQL over HTTP: a mutation carries an Idempotency-Key and is sent again with the same key
// when its answer is lost; a query is never retried here and carries no key.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RETRY_DELAYS_MS, NetworkError, request } from "../src/lib/api";

const MUTATION = { toString: () => "mutation Registrar($input: RegisterDocumentInput!) { registerDocument(input: $input) { errors { code } } }" };
const QUERY = { toString: () => "query { viewer { id } }" };

type Call = { headers: Record<string, string> };
let calls: Call[] = [];
let answers: (() => Response)[] = [];

beforeEach(() => {
  RETRY_DELAYS_MS.splice(0, RETRY_DELAYS_MS.length, 0, 0, 0);
  calls = [];
  vi.stubGlobal("fetch", async (_url: string, init: { headers: Record<string, string> }) => {
    calls.push({ headers: init.headers });
    const next = answers.shift();
    if (!next) throw new TypeError("Failed to fetch");
    return next();
  });
});

afterEach(() => vi.unstubAllGlobals());

const ok = () => new Response(JSON.stringify({ data: { registerDocument: { errors: [] } } }), { status: 200 });
const unavailable = () => new Response(JSON.stringify({ errors: [{ message: "No disponible", extensions: { code: "UNAVAILABLE" } }] }),
  { status: 503, headers: { "Retry-After": "1" } });
const dropped = () => { throw new TypeError("Failed to fetch"); };

describe("mutations", () => {
  it("are sent again with the same key after a lost answer and a 503", async () => {
    answers = [dropped, unavailable, ok];
    const result = await request(MUTATION as never, { input: {} } as never);
    expect(result.errors).toEqual([]);
    expect(calls).toHaveLength(3);
    const keys = calls.map((c) => c.headers["Idempotency-Key"]);
    expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(keys).size).toBe(1);
  });

  it("get a new key for each submission", async () => {
    answers = [ok, ok];
    await request(MUTATION as never, { input: {} } as never);
    await request(MUTATION as never, { input: {} } as never);
    expect(calls[0].headers["Idempotency-Key"]).not.toBe(calls[1].headers["Idempotency-Key"]);
  });

  it("give up with a NetworkError after the last retry", async () => {
    answers = [];
    await expect(request(MUTATION as never, { input: {} } as never)).rejects.toBeInstanceOf(NetworkError);
    expect(calls).toHaveLength(1 + RETRY_DELAYS_MS.length);
  });
});

describe("queries", () => {
  it("are sent once, without a key", async () => {
    answers = [unavailable];
    const result = await request(QUERY as never);
    expect(result.errors[0].extensions?.code).toBe("UNAVAILABLE");
    expect(calls).toHaveLength(1);
    expect(calls[0].headers["Idempotency-Key"]).toBeUndefined();
  });
});
