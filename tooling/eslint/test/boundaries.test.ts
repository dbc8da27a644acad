import { join } from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..", "..");

/** Lints `code` as if it were a source file of the package in `pkgDir` (in `folder` of its src), with that package's real config. */
async function lintAs(pkgDir: string, code: string, folder = "") {
  const cwd = join(root, pkgDir);
  const eslint = new ESLint({ cwd });
  const [result] = await eslint.lintText(code, { filePath: join(cwd, "src", folder, "boundary-fixture.ts") });
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
  ])("%s allows: %s", async (pkg, code) => {
    expect(await lintAs(pkg, code)).toEqual([]);
  });

  describe("proxy folders import downward only", () => {
    it.each([
      ["upstream", 'import { forward } from "../http/forward.ts";\nexport const f = forward;'],
      ["upstream", 'import type { Snapshot } from "../http/snapshot.ts";\nexport type S = Snapshot;'],
      ["upstream", 'import type { PeerVerifier } from "../security/peer-verifier.ts";\nexport type P = PeerVerifier;'],
      ["core", 'import type { ProxyMetrics } from "../observability/metrics.ts";\nexport type M = ProxyMetrics;'],
      ["http", 'import type { ListenerHandle } from "../listener/listener-set.ts";\nexport type H = ListenerHandle;'],
      ["http", 'export { proxyTcp } from "../tcp/tcp-proxy.ts";'],
      ["security", 'import type { WeftProxy } from "../proxy.ts";\nexport type W = WeftProxy;'],
      ["admin", 'import { RequestDispatcher } from "../listener/request-dispatcher.ts";\nexport const d = RequestDispatcher;'],
      ["http", 'import { createPrismaClient } from "@weft/db";\nexport const c = createPrismaClient;'],
    ])("src/%s refuses: %s", async (folder, code) => {
      const messages = await lintAs("packages/proxy", code, folder);
      expect(messages.length).toBeGreaterThan(0);
    });

    it.each([
      ["http", 'import { forward } from "./forward.ts";\nexport const f = forward;'],
      ["http", 'import type { BackendRuntime } from "../upstream/backend-runtime.ts";\nexport type B = BackendRuntime;'],
      ["listener", 'import { handleHttp } from "../http/request-handler.ts";\nexport const h = handleHttp;'],
      ["upstream", 'import { ResponseFlag } from "../core/response-flags.ts";\nexport const r = ResponseFlag;'],
      ["", 'import { RequestDispatcher } from "./listener/request-dispatcher.ts";\nexport const d = RequestDispatcher;'],
    ])("src/%s allows: %s", async (folder, code) => {
      expect(await lintAs("packages/proxy", code, folder)).toEqual([]);
    });
  });

  describe("inside the manager", () => {
    /** Lints `code` as the apps/api file at `file` (relative to apps/api), with the package's real config; the messages of `rule`. */
    async function lintApi(file: string, code: string, rule: string) {
      const cwd = join(root, "apps/api");
      const [result] = await new ESLint({ cwd }).lintText(code, { filePath: join(cwd, file) });
      return (result?.messages ?? []).filter((m) => m.ruleId === rule);
    }
    const imports = "@typescript-eslint/no-restricted-imports";

    it.each([
      ["src/features/users/users.service.ts", 'import type { Context } from "../../context.ts";\nexport type C = Context;'],
      ["src/features/users/users.router.ts", 'import { createContext } from "../../context.ts";\nexport const c = createContext;'],
      ["src/features/users/deeper/thing.ts", 'import type { Context } from "../../../context";\nexport type C = Context;'],
    ])("a feature may not import context.ts (%s)", async (file, code) => {
      expect((await lintApi(file, code, "no-restricted-imports")).map((m) => m.message)).toEqual([expect.stringMatching(/features never import context\.ts/)]);
    });

    it("lets the rest of the manager import context.ts, and features import request-info.ts", async () => {
      expect(await lintApi("src/trpc.ts", 'import type { Context } from "./context.ts";\nexport type C = Context;', "no-restricted-imports")).toEqual([]);
      expect(await lintApi("src/features/auth/auth.service.ts", 'import type { RequestInfo } from "../../request-info.ts";\nexport type R = RequestInfo;', "no-restricted-imports")).toEqual([]);
    });

    it.each([
      ["src/features/users/users.service.ts", 'import { Prisma } from "@weft/db";\nexport const p = Prisma;'],
      ["src/features/users/users.service.ts", 'import { PrismaClient } from "@prisma/client";\nexport const p = PrismaClient;'],
      ["src/features/identity/rotation.controller.ts", 'import { createPrismaClient } from "@weft/db";\nexport const c = createPrismaClient;'],
      ["src/services.ts", 'import { openDatabase } from "@weft/db";\nexport const o = openDatabase;'],
    ])("only repositories and the database wiring use @weft/db or @prisma values (%s)", async (file, code) => {
      expect((await lintApi(file, code, imports)).map((m) => m.message)).toEqual([expect.stringMatching(/only repositories/)]);
    });

    it.each([
      ["src/features/users/users.repository.ts", 'import { Prisma } from "@weft/db";\nexport const p = Prisma;'],
      ["src/controllers/leader-lock.repository.ts", 'import { Prisma } from "@weft/db";\nexport const p = Prisma;'],
      ["src/unit-of-work.ts", 'import { Prisma } from "@weft/db";\nexport const p = Prisma;'],
      ["src/manager.ts", 'import { openDatabase } from "@weft/db";\nexport const o = openDatabase;'],
      ["src/features/health/health.service.ts", 'import type { Database } from "@weft/db";\nexport type D = Database;'],
      ["src/features/resources/change-plan.test.ts", 'import { openDatabase } from "@weft/db";\nexport const o = openDatabase;'],
    ])("lets %s use them (types anywhere)", async (file, code) => {
      expect(await lintApi(file, code, imports)).toEqual([]);
    });

    it("keeps the package boundaries on files the database rule covers", async () => {
      expect((await lintApi("src/features/users/users.service.ts", 'import { startAgent } from "@weft/agent";\nexport const s = startAgent;', imports)).length).toBeGreaterThan(0);
    });

    it("runs transactions only through the unit of work", async () => {
      const code = "export const run = (prisma: { $transaction(f: () => void): void }) => prisma.$transaction(() => {});";
      expect((await lintApi("src/features/users/users.repository.ts", code, "no-restricted-syntax")).map((m) => m.message)).toEqual([expect.stringMatching(/UnitOfWork/)]);
      expect(await lintApi("src/unit-of-work.ts", code, "no-restricted-syntax")).toEqual([]);
      // The .only check still holds where the transaction rule replaces the base rule's settings.
      expect((await lintApi("src/features/users/users.service.ts", 'it.only("x", () => {});', "no-restricted-syntax")).map((m) => m.message)).toEqual([expect.stringMatching(/No \.only/)]);
    });
  });
});
