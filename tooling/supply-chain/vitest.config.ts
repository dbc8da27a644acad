import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The SBOM generator walks the whole installed tree (npm ls) once per program.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One file at a time keeps 2 cores responsive.
    fileParallelism: false,
  },
});
