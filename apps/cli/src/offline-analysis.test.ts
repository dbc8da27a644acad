import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { locate, readManifests } from "./manifest-input.ts";
import { analyzeOffline } from "./offline-analysis.ts";

const TESTDATA = join(import.meta.dirname, "..", "test", "testdata");
const io = { env: {}, stdout: () => {}, stderr: () => {}, stdin: Readable.from([""]) };

describe("readManifests on a folder", () => {
  it("joins every manifest below it in path order, skipping hidden files, and maps positions back to files", async () => {
    const m = await readManifests(join(TESTDATA, "shop"), io);
    expect(m.sources.map((s) => s.path)).toEqual(["policies/cart.yaml", "routes.yaml"]);
    expect(m.text).not.toContain("is not read");
    // routes.yaml's first line follows cart.yaml's lines and the joining "---".
    const routesFirst = m.sources[1]!.firstLine;
    expect(m.text.split("\n")[routesFirst - 1]).toBe("# The checkout route: every backend weighted 0 (WEFT1102).");
    expect(locate(m, { document: 2, line: routesFirst + 4 })).toBe("routes.yaml, document 1, line 5");
    expect(locate(m, { document: 1 })).toBe("policies/cart.yaml, document 2");
  });
});

describe("analyzeOffline", () => {
  it("runs the manager's analyzers and says where each finding's resource is declared", async () => {
    const result = analyzeOffline(await readManifests(join(TESTDATA, "shop"), io));
    expect(result.invalid).toEqual([]);
    expect(result.resources).toBe(3);
    expect(result.findings.map((f) => `${f.code} ${f.resource.kind}/${f.resource.name} @ ${f.where}`).sort()).toEqual([
      "WEFT1102 HTTPRoute/checkout @ routes.yaml, document 1",
      "WEFT2001 TrafficPolicy/cart @ policies/cart.yaml, document 1",
      "WEFT2001 TrafficPolicy/cart-again @ policies/cart.yaml, document 2",
    ]);
    expect(result.notChecked.map((c) => c.code)).toEqual(["WEFT1001", "WEFT1002", "WEFT1003", "WEFT1005", "WEFT3001"]);
  });

  it("reports invalid documents by the file, document and line an editor shows (a file's leading --- starts no document)", async () => {
    const result = analyzeOffline(await readManifests(join(TESTDATA, "broken"), io));
    expect(result.findings).toEqual([]);
    expect(result.invalid.map((i) => `${i.where}: ${i.path}`)).toEqual(["b.yaml, document 2, line 20: spec.loadBalancer.algorithm"]);
  });
});
