import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The domain is pure: no test leaves state behind, so one shared thread
    // pool without per-file isolation is safe and several times faster.
    pool: "threads",
    isolate: false,
  },
});
