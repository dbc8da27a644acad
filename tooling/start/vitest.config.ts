import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Databases and the WebAssembly schema engine take seconds to start on 2 cores.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each file starts its own database; one file at a time keeps 2 cores responsive.
    fileParallelism: false,
  },
});
