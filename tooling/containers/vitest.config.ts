import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // docker-compose and promtool are separate processes; a loaded 2-core machine starts them slowly.
    testTimeout: 60_000,
  },
});
