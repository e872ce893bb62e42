// node server.mjs PORT: PostGraphile on 127.0.0.1:PORT, /graphql, plus /health and /peers-stats
// (round trips to PostgreSQL so far, and with PEERS_KEEP_QUERIES=1 the last statements) for bench/peers.py.
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";
import preset, { stats } from "./graphile.config.mjs";

const port = parseInt(process.argv[2] ?? "5678", 10);
const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const graphql = serv.createHandler();
const server = createServer((req, res) => {
  if (req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
  } else if (req.url === "/peers-stats") {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(stats));
  } else {
    graphql(req, res);
  }
});
// build the schema before saying we are ready
await pgl.getSchemaResult();
server.listen(port, "127.0.0.1", () => console.log(`PostGraphile listening on ${port}`));
process.on("SIGTERM", () => { server.close(); pgl.release().finally(() => process.exit(0)); });
