// Follow the MCS inbox feed with graphql-ws: print events, keep the cursor in a file, resume.
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    url: { type: "string", default: "http://127.0.0.1:8000/graphql" },
    username: { type: "string" },
    password: { type: "string" },
    token: { type: "string" },
    "cursor-file": { type: "string", default: ".inbox-cursor" },
    "max-events": { type: "string" },
  },
});

const SUBSCRIPTION = `subscription($after: String) {
  inboxEvents(afterSequence: $after) {
    sequence kind occurredAt
    turno { number status toUnit { acronym } }
    document { folio }
  }
}`;

const cursorFile = args["cursor-file"];
const readCursor = () => (existsSync(cursorFile) ? readFileSync(cursorFile, "utf8").trim() || null : null);
const writeCursor = (sequence) => {
  writeFileSync(cursorFile + ".tmp", sequence ?? "");
  renameSync(cursorFile + ".tmp", cursorFile); // atomic: never half a cursor
};

async function login() {
  const response = await fetch(args.url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      query: "mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { token errors { code message } } }",
      variables: { u: args.username, p: args.password },
    }),
  });
  const { data } = await response.json();
  if (!data.login.token) throw new Error(`login failed: ${JSON.stringify(data.login.errors)}`);
  return data.login.token;
}

const token = args.token ?? (await login());
const maxEvents = args["max-events"] ? Number(args["max-events"]) : Infinity;
let seen = 0;
let backoff = 500;

const client = createClient({
  url: args.url.replace(/^http/, "ws"),
  webSocketImpl: WebSocket,
  connectionParams: { token },
  retryAttempts: Infinity, // reconnect with backoff; each new subscribe resumes from the cursor
  shouldRetry: (event) => !(event && event.code === 4403),
});

function follow() {
  return new Promise((resolve, reject) => {
    const dispose = client.subscribe(
      // the variables are read on every (re)subscribe, so a reconnect resumes from the cursor
      { query: SUBSCRIPTION, get variables() { return { after: readCursor() }; } },
      {
        next: ({ data, errors }) => {
          if (errors?.some((e) => e.extensions?.code === "BACKLOG_TOO_LARGE")) {
            console.error("cursor too old: following from now");
            writeCursor(null);
            dispose();
            resolve("restart");
            return;
          }
          // a passing server problem (an INTERNAL error, or no data): resume from the cursor,
          // which has not moved past this event; FORBIDDEN on a field is normal (masking)
          if (!data?.inboxEvents || errors?.some((e) => !e.extensions?.code || e.extensions.code === "INTERNAL")) {
            console.error(`server error; resuming in ${backoff} ms`);
            dispose();
            setTimeout(() => resolve("restart"), backoff);
            backoff = Math.min(backoff * 2, 30000);
            return;
          }
          backoff = 500;
          const event = data.inboxEvents;
          console.log(JSON.stringify(event));
          writeCursor(event.sequence);
          if (++seen >= maxEvents) { dispose(); resolve("done"); }
        },
        error: (error) => {
          const list = Array.isArray(error) ? error : [error];
          if (list.some((e) => e?.extensions?.code === "BACKLOG_TOO_LARGE")) {
            writeCursor(null);
            resolve("restart");
          } else reject(error);
        },
        complete: () => (seen >= maxEvents ? resolve("done") : setTimeout(() => resolve("restart"), backoff)),
      },
    );
  });
}

while ((await follow()) === "restart");
await client.dispose();
