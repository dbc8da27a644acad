// The SBOM script produces, for every shipped program, a CycloneDX JSON
// document (validated by the generator) listing that program's production
// dependencies and none of the development tools.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SHIPPED_PROGRAMS } from "../src/programs.ts";
import { writeSboms } from "../src/sbom.ts";

interface Bom {
  bomFormat: string;
  specVersion: string;
  components: { name: string; group?: string; version: string; purl?: string }[];
}

describe("CycloneDX SBOMs of the shipped programs", { timeout: 300_000 }, () => {
  let folder: string;
  afterAll(async () => {
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it("writes one valid CycloneDX JSON document per program, with its production dependencies only", async () => {
    folder = await mkdtemp(join(tmpdir(), "weft-sbom-"));
    const files = await writeSboms(folder);
    expect(files.map((f) => basename(f)).sort()).toEqual(SHIPPED_PROGRAMS.map((p) => `${p.program}.cdx.json`).sort());
    const boms = new Map<string, Bom>();
    for (const file of files) boms.set(basename(file, ".cdx.json"), JSON.parse(await readFile(file, "utf8")) as Bom);
    const names = (program: string) => new Set((boms.get(program)?.components ?? []).map((c) => (c.group ? `${c.group}/${c.name}` : c.name)));
    for (const [program, bom] of boms) {
      expect(bom.bomFormat, program).toBe("CycloneDX");
      expect(bom.specVersion, program).toBe("1.6");
      expect(bom.components.length, program).toBeGreaterThan(0);
      for (const c of bom.components) expect(c.purl ?? "", `${program} ${c.name}`).toMatch(/^pkg:npm\//);
      // Development tools are not shipped.
      for (const dev of ["vitest", "eslint", "@vitest/runner"]) expect(names(program).has(dev), `${program} lists ${dev}`).toBe(false);
    }
    expect(names("weft-manager").has("@trpc/server")).toBe(true);
    expect(names("weft-manager").has("@prisma/client")).toBe(true);
    expect(names("weft-agent").has("undici")).toBe(true);
    expect(names("weft-dashboard").has("next")).toBe(true);
  });
});
