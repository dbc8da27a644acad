import { weft } from "@weft/eslint-config";

// Browser globals need no entry: typescript-eslint turns `no-undef` off for TS
// files, and the compiler's DOM lib checks them instead.
export default weft(import.meta.dirname, {
  files: ["src/**/*.{ts,tsx}"],
  ignores: ["src/trpc/refresh.ts", "**/*.test.{ts,tsx}"],
  rules: {
    "no-restricted-properties": [
      "error",
      { property: "invalidateQueries", message: "Use refreshAfterChange (src/trpc/refresh.ts): invalidateQueries keeps a first fetch that was still out when the change was saved." },
    ],
  },
});
