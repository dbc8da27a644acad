import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The end-to-end test starts a manager and a database.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
