import { defineConfig } from "vitest/config";

export default defineConfig({
  // Next compiles JSX itself (tsconfig `jsx: preserve`); tests that render components need the React 17+ runtime.
  esbuild: { jsx: "automatic" },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // The browser test starts a manager (embedded PostgreSQL: seconds on 2 cores) and `next start`.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
