// PostGraphile 5 over the MCS benchmark database (bench/peers.py, bench/PEERS.md).
//
// Environment: PEERS_DATABASE_URL (libpq URL, a superuser like MCS's own), PEERS_SECRET (MCS's
// MCS_SECRET_KEY: the same bearer tokens work here), PEERS_POOL (connections, default 10 like
// MCS's pool_size).
import { createHmac, timingSafeEqual } from "node:crypto";
import pg from "pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

// round trips (every query sent), of them statements (not begin/commit/set_config), the last few
export const stats = { queries: 0, statements: 0, lastQueries: [] };
const BOOKKEEPING = /^(begin|commit|rollback|savepoint|release|select set_config\()/i;

// The same server settings as MCS's connections (models/db.py): no JIT, custom plans (PostGraphile
// prepares its statements too, and the ANY(scope) arrays make generic plans a gamble).
export const pool = new pg.Pool({
  connectionString: process.env.PEERS_DATABASE_URL,
  max: parseInt(process.env.PEERS_POOL ?? "10", 10),
  idleTimeoutMillis: 0, // keep the backends: bench.core.CpuMeter sums the CPU of the live ones
  options: process.env.PEERS_PG_OPTIONS ?? "-c jit=off -c plan_cache_mode=force_custom_plan",
});

// Every round trip PostGraphile makes (begin, set_config, its statements, commit), counted here:
// the shared PostgreSQL server may not log statements, and has no pg_stat_statements.
pool.on("connect", (client) => {
  const query = client.query.bind(client);
  client.query = (config, ...rest) => {
    stats.queries += 1;
    const text = typeof config === "string" ? config : config.text;
    if (!BOOKKEEPING.test(text)) stats.statements += 1;
    if (process.env.PEERS_KEEP_QUERIES) {
      const values = typeof config === "string" ? rest[0] : config.values;
      stats.lastQueries.push({ text, values });
      if (stats.lastQueries.length > 20) stats.lastQueries.shift();
    }
    return query(config, ...rest);
  };
});

const SECRET = process.env.PEERS_SECRET ?? "";

/** The claims of an MCS token (HS256, not expired), or null: resolvers/auth.py decode_token. */
function verify(authorization) {
  const match = /^Bearer (.+)$/.exec(authorization ?? "");
  if (!match || !SECRET) return null;
  const [header, payload, signature] = match[1].split(".");
  if (!signature) return null;
  const expected = createHmac("sha256", SECRET).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    if (JSON.parse(Buffer.from(header, "base64url")).alg !== "HS256") return null;
    const claims = JSON.parse(Buffer.from(payload, "base64url"));
    if (!claims.sub || !(claims.exp * 1000 > Date.now())) return null;
    return claims;
  } catch {
    return null;
  }
}

// A set-returning function's rows come in the function's order, so PostGraphile never LEFT JOINs
// a relation (turno -> document, units) into such a query (the join could reorder them): it
// fetches each relation with a batched statement of its own. A function tagged `@unordered`
// promises nothing about its order; the query then sorts by its `orderBy` argument and the
// relations join into the one statement.
const UnorderedFunctionsPlugin = {
  name: "UnorderedFunctionsPlugin",
  version: "0.0.0",
  gather: {
    hooks: {
      pgProcedures_functionResourceOptions(info, event) {
        if (event.pgProc.getTags?.()?.unordered) {
          delete event.functionResourceOptions.hasImplicitOrder;
        }
      },
    },
  },
};

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  plugins: [UnorderedFunctionsPlugin],
  // queries only: the benchmark reads
  disablePlugins: ["PgMutationCreatePlugin", "PgMutationUpdateDeletePlugin", "NodePlugin"],
  pgServices: [makePgService({ pool, schemas: ["peers"] })],
  grafserv: { graphqlPath: "/graphql", graphiql: false, watch: false },
  grafast: {
    explain: process.env.PEERS_EXPLAIN === "1",
    // per request: the role the policies are written for and the caller's claims; without a
    // valid token, the same role and no user (every policy then denies)
    context(requestContext) {
      const claims = verify(requestContext.node?.req?.headers?.authorization);
      return {
        pgSettings: {
          role: "mcs_peers_visitor",
          "jwt.claims.user_id": claims ? String(claims.sub) : "",
          "jwt.claims.ver": claims?.ver != null ? String(claims.ver) : "",
          "jwt.claims.jti": claims?.jti ?? "",
        },
      };
    },
  },
};

export default preset;
