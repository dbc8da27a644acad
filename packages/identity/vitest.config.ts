import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Key generation is fast (P-256), but ESLint's first load and TLS handshakes on 2 cores are not.
    testTimeout: 30_000,
  },
});
