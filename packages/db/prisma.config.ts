import { defineConfig } from "prisma/config";

// Used by `prisma generate` only. Migrations run through our own tool
// (src/migrate.ts) on the WebAssembly schema engine.
export default defineConfig({
  schema: "../../prisma/schema.prisma",
  migrations: { path: "../../prisma/migrations" },
});
