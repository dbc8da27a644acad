import { defineConfig } from "vitest/config";

// `npm run test:faults`: the fault suite (test/faults/*.fault.ts), outside `npm test` for CI's time.
export default defineConfig({
  test: {
    include: ["test/faults/**/*.fault.ts"],
    testTimeout: 300_000,
    hookTimeout: 420_000,
    fileParallelism: false,
  },
});
