import { readFileSync } from "node:fs";
import { join } from "node:path";
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";
import { boundaryRules, layerConfigs, NO_ONLY } from "./boundaries.js";

/**
 * The shared flat config for a workspace package. `dir` is the package's
 * folder; its package.json name selects the import boundaries it obeys.
 */
export function weft(dir, ...extra) {
  const { name } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  return tseslint.config(
    { ignores: ["**/dist/**", "**/.next/**", "**/generated/**", "**/node_modules/**", "**/*.d.ts", "**/test/fixtures/**"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
      languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: "module", parserOptions: { tsconfigRootDir: dir } },
      rules: {
        "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
        "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
        "no-restricted-syntax": ["error", NO_ONLY],
      },
    },
    // Tool configuration files (eslint.config.js, vitest.config.ts, ...) are not the package's code.
    { files: ["**/*.{ts,tsx,js,mjs}"], ignores: ["*.config.{ts,js,mjs}"], rules: boundaryRules(name) },
    // Tests, in test/ or beside the code they test.
    { files: ["test/**/*.{ts,tsx}", "**/*.test.{ts,tsx}"], rules: boundaryRules(name, { forTests: true }) },
    ...layerConfigs(name),
    ...extra,
  );
}
