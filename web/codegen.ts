import type { CodegenConfig } from "@graphql-codegen/cli";

// Typed operations: every query the app sends is a .graphql file under src/graphql, checked
// against the schema the server generates (../schema/schema.graphql); `make` regenerates
// src/graphql/generated.ts and svelte-check then fails on any use the schema no longer allows.
const config: CodegenConfig = {
  schema: "../schema/schema.graphql",
  documents: "src/graphql/**/*.graphql",
  generates: {
    "src/graphql/generated.ts": {
      plugins: ["typescript-operations", "typed-document-node"],
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        avoidOptionals: { field: true, inputValue: false, object: true },
        scalars: { ID: "string", Date: "string", DateTime: "string", JSON: "unknown", Upload: "File" },
        skipTypename: true,
        dedupeFragments: true,
        documentMode: "string",
      },
    },
  },
  silent: true,
};

export default config;
