import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { build, type Plugin } from "vite";
import { defineConfig } from "vitest/config";

// The app is served by `mcs serve` at / (same origin as /graphql); in development `vite` proxies
// the API to a running `mcs serve` (MCS_API, default http://127.0.0.1:8000).
const api = process.env.MCS_API ?? "http://127.0.0.1:8000";

/**
 * The service worker (src/sw.ts) at dist/sw.js. The names of the shell's files are known only once
 * the app is written, so after it this builds the worker on its own, as a classic script (an
 * IIFE; a module worker is not everywhere yet), with the list and a version hashed from it and
 * from index.html: a new build gives a different sw.js, which browsers install as an update.
 */
function serviceWorker(): Plugin {
  return {
    name: "mcs-service-worker",
    apply: "build",
    async writeBundle(options, bundle) {
      const assets = Object.keys(bundle).filter((name) => name.startsWith("assets/")).sort();
      const page = bundle["index.html"];
      if (!page || page.type !== "asset") throw new Error("mcs-service-worker: index.html missing from the build");
      const shell = ["/", ...assets.map((name) => `/${name}`)];
      const version = createHash("sha256").update(JSON.stringify(shell)).update(page.source).digest("hex").slice(0, 16);
      await build({
        configFile: false,
        root: fileURLToPath(new URL(".", import.meta.url)),
        publicDir: false,
        logLevel: "warn",
        define: { __MCS_SHELL__: JSON.stringify(shell), __MCS_VERSION__: JSON.stringify(version) },
        build: {
          outDir: options.dir,
          emptyOutDir: false,
          target: "es2022",
          minify: true,
          sourcemap: false,
          copyPublicDir: false,
          reportCompressedSize: false,
          lib: { entry: "src/sw.ts", formats: ["iife"], name: "mcsServiceWorker", fileName: () => "sw.js" },
        },
      });
    },
  };
}

export default defineConfig({
  plugins: [svelte(), serviceWorker()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    proxy: {
      "/graphql": { target: api, ws: true },
      "/files": api,
      "/exports": api,
      "/documents": api,
      "/turnos": api,
    },
  },
  test: {
    include: ["tests/**/*.test.ts"],
    environment: "node",
  },
});
