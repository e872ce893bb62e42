// Copies the files GraphiQL's page needs from node_modules into vendor/graphiql/<package>@<version>/
// (the layout of the CDN URLs strawberry's page uses), which the app serves at /graphiql/assets/:
// GraphiQL then works without internet. `make` runs it after `npm ci`.
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const FILES = {
  react: ["umd/react.production.min.js"],
  "react-dom": ["umd/react-dom.production.min.js"],
  "js-cookie": ["dist/js.cookie.min.js"],
  graphiql: ["graphiql.min.js", "graphiql.min.css"],
  "@graphiql/plugin-explorer": ["dist/index.umd.js", "dist/style.css"],
};

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(web, "vendor", "graphiql");
const staging = `${target}.tmp`;

rmSync(staging, { recursive: true, force: true });
for (const [name, paths] of Object.entries(FILES)) {
  const source = join(web, "node_modules", name);
  if (!existsSync(join(source, "package.json"))) {
    console.error(`${name} is not installed: run \`npm ci\` in web/ first (make does).`);
    process.exit(1);
  }
  const { version } = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));
  for (const path of paths) {
    const to = join(staging, `${name}@${version}`, path);
    mkdirSync(dirname(to), { recursive: true });
    cpSync(join(source, path), to);
  }
}
// swapped in whole, so a running server never serves a half-copied folder
rmSync(target, { recursive: true, force: true });
renameSync(staging, target);
console.log(`GraphiQL assets copied to ${target}`);
