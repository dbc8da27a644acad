import { join } from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..", "..");

/** Lints `code` as if it were a source file of the package in `pkgDir`, with that package's real config. */
async function lintAs(pkgDir: string, code: string) {
  const cwd = join(root, pkgDir);
  const eslint = new ESLint({ cwd });
  const [result] = await eslint.lintText(code, { filePath: join(cwd, "src", "boundary-fixture.ts") });
  return (result?.messages ?? []).filter((m) => m.ruleId === "@typescript-eslint/no-restricted-imports");
}

describe("import boundaries", () => {
  it.each([
    ["packages/mesh-model", 'import { PrismaClient } from "@prisma/client";\nexport const c = PrismaClient;'],
    ["packages/mesh-model", 'import { initTRPC } from "@trpc/server";\nexport const t = initTRPC;'],
    ["packages/mesh-model", 'import { readFileSync } from "node:fs";\nexport const r = readFileSync;'],
    ["packages/mesh-model", 'import { createServer } from "node:http";\nexport const s = createServer;'],
    ["packages/mesh-model", 'import * as k8s from "@kubernetes/client-node";\nexport const k = k8s;'],
    ["packages/mesh-model", 'import { createDb } from "@weft/db";\nexport const d = createDb;'],
    ["apps/web", 'import { appRouter } from "@weft/api";\nexport const r = appRouter;'],
    ["apps/agent", 'import { appRouter } from "@weft/api";\nexport const r = appRouter;'],
    ["apps/web", 'import { createPrismaClient } from "@weft/db";\nexport const c = createPrismaClient;'],
    ["packages/proxy", 'import { createPrismaClient } from "@weft/db";\nexport const c = createPrismaClient;'],
  ])("%s refuses: %s", async (pkg, code) => {
    const messages = await lintAs(pkg, code);
    expect(messages.length).toBeGreaterThan(0);
  });

  it("lets test files of web and agent create a test database, and nothing else of @weft/db", async () => {
    for (const pkg of ["apps/web", "apps/agent"]) {
      const cwd = join(root, pkg);
      const eslint = new ESLint({ cwd });
      const lint = async (code: string) =>
        ((await eslint.lintText(code, { filePath: join(cwd, "test", "boundary-fixture.test.ts") }))[0]?.messages ?? []).filter(
          (m) => m.ruleId === "@typescript-eslint/no-restricted-imports",
        );
      expect(await lint('import { createTestDatabase } from "@weft/db/testing";\nexport const c = createTestDatabase;')).toEqual([]);
      expect((await lint('import { openDatabase } from "@weft/db";\nexport const o = openDatabase;')).length).toBeGreaterThan(0);
      expect((await lintAs(pkg, 'import { createTestDatabase } from "@weft/db/testing";\nexport const c = createTestDatabase;')).length).toBeGreaterThan(0);
    }
  });

  it("lets web's tests seed certificates with @weft/identity, and keeps it out of the dashboard's code", async () => {
    const cwd = join(root, "apps/web");
    const eslint = new ESLint({ cwd });
    const code = 'import { generateMeshRoot } from "@weft/identity";\nexport const g = generateMeshRoot;';
    const inTest = ((await eslint.lintText(code, { filePath: join(cwd, "test", "boundary-fixture.test.ts") }))[0]?.messages ?? []).filter((m) => m.ruleId === "@typescript-eslint/no-restricted-imports");
    expect(inTest).toEqual([]);
    expect((await lintAs("apps/web", code)).length).toBeGreaterThan(0);
  });

  it("lets mesh-model's tests read their golden files with node:fs, and nothing else of the I/O list; its source still may not", async () => {
    const cwd = join(root, "packages/mesh-model");
    const eslint = new ESLint({ cwd });
    const lintTest = async (code: string) =>
      ((await eslint.lintText(code, { filePath: join(cwd, "src", "compiler", "boundary-fixture.test.ts") }))[0]?.messages ?? []).filter((m) => m.ruleId === "@typescript-eslint/no-restricted-imports");
    const readFs = 'import { readFileSync } from "node:fs";\nexport const r = readFileSync;';
    expect(await lintTest(readFs)).toEqual([]);
    expect(await lintTest('import { readFileSync } from "fs";\nexport const r = readFileSync;')).toEqual([]);
    expect((await lintTest('import { createServer } from "node:http";\nexport const s = createServer;')).length).toBeGreaterThan(0);
    expect((await lintTest('import { PrismaClient } from "@prisma/client";\nexport const c = PrismaClient;')).length).toBeGreaterThan(0);
    expect((await lintTest('import { createDb } from "@weft/db";\nexport const d = createDb;')).length).toBeGreaterThan(0);
    expect((await lintAs("packages/mesh-model", readFs)).length).toBeGreaterThan(0);
    const inSourceBesideTests = ((await eslint.lintText(readFs, { filePath: join(cwd, "src", "compiler", "golden-reader.ts") }))[0]?.messages ?? []).filter((m) => m.ruleId === "@typescript-eslint/no-restricted-imports");
    expect(inSourceBesideTests.length).toBeGreaterThan(0);
  });

  it.each([
    ["packages/mesh-model", 'import { z } from "zod";\nexport const s = z.string();'],
    ["apps/web", 'import type { AppRouter } from "@weft/api";\nexport type R = AppRouter;'],
    ["apps/agent", 'import type { AppRouter } from "@weft/api";\nexport type R = AppRouter;'],
    ["apps/api", 'import { createPrismaClient } from "@weft/db";\nexport const c = createPrismaClient;'],
  ])("%s allows: %s", async (pkg, code) => {
    expect(await lintAs(pkg, code)).toEqual([]);
  });
});
