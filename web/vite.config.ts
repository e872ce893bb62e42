import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vitest/config";

// The app is served by `mcs serve` at / (same origin as /graphql); in development `vite` proxies
// the API to a running `mcs serve` (MCS_API, default http://127.0.0.1:8000).
const api = process.env.MCS_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [svelte()],
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
