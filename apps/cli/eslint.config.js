import { weft } from "@weft/eslint-config";

// The CLI reaches the API only as types (boundaries.js). Its end-to-end test is
// the one exception: it runs a real manager in-process through @weft/api/testing.
export default weft(import.meta.dirname, {
  files: ["test/**/*.ts"],
  rules: {
    "@typescript-eslint/no-restricted-imports": [
      "error",
      {
        patterns: [
          { group: ["@weft/db", "@weft/db/*", "@weft/web", "@weft/agent", "@weft/proxy", "@prisma/*"], message: "this import points against the dependency direction in ARCHITECTURE.md." },
          { regex: "^@weft/api(?!/testing$)(/.*)?$", message: "tests reach the manager through @weft/api/testing; otherwise types only.", allowTypeImports: true },
        ],
      },
    ],
  },
});
