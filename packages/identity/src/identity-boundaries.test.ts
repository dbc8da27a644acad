import { join } from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const packageDir = join(import.meta.dirname, "..");

async function restrictedImports(code: string) {
  const eslint = new ESLint({ cwd: packageDir });
  const [result] = await eslint.lintText(code, { filePath: join(packageDir, "src", "boundary-fixture.ts") });
  return (result?.messages ?? []).filter((m) => m.ruleId === "@typescript-eslint/no-restricted-imports");
}

// @weft/identity is shared by the manager, the agent and the proxy, so it may
// depend on none of them, nor on the database or the API stack.
describe("@weft/identity import boundaries", () => {
  it.each([
    'import { createPrismaClient } from "@weft/db";\nexport const c = createPrismaClient;',
    'import { appRouter } from "@weft/api";\nexport const r = appRouter;',
    'import { startProxy } from "@weft/proxy";\nexport const p = startProxy;',
    'import { PrismaClient } from "@prisma/client";\nexport const c = PrismaClient;',
    'import { initTRPC } from "@trpc/server";\nexport const t = initTRPC;',
  ])("refuses %s", async (code) => {
    expect((await restrictedImports(code)).length).toBeGreaterThan(0);
  });

  it("allows node:tls and @peculiar/x509", async () => {
    expect(await restrictedImports('import tls from "node:tls";\nimport * as x509 from "@peculiar/x509";\nexport const a = [tls, x509];')).toEqual([]);
  });
});
