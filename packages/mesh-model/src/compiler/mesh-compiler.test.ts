// MeshCompiler (one snapshot, many proxies, shared outbound parts) must give
// exactly what compiling each proxy on its own gives. The expected versions
// and diagnostics of the demo and the generated mesh were recorded with the
// compiler before the split (testdata/shared-compile.expected.json); the
// golden cases hold the rest. Refresh that file only for an intended change:
//   UPDATE_GOLDEN=1 npx vitest run src/compiler/mesh-compiler.test.ts
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseProxyConfigDocument } from "../proxy-config/proxy-config.validate.ts";
import { type GeneratedMesh, demoMesh, generatedMesh } from "../testing/generated-mesh.ts";
import type { CompileInputRaw } from "./compile-input.ts";
import { CompileInputError, compileProxyConfig } from "./compile.ts";
import { canonicalJson, fnv1a64 } from "./config-hash.ts";
import { MeshCompiler, SharedParseCache } from "./mesh-compiler.ts";

const TESTDATA = join(dirname(fileURLToPath(import.meta.url)), "testdata");
const EXPECTED = join(TESTDATA, "shared-compile.expected.json");
const UPDATE = process.env.UPDATE_GOLDEN === "1";

type Recorded = Record<string, Record<string, { version: string; diagnostics: string; count: number }>>;

function record(mesh: GeneratedMesh, compile: (p: GeneratedMesh["proxies"][number]) => ReturnType<typeof compileProxyConfig>): Recorded[string] {
  const out: Recorded[string] = {};
  for (const p of mesh.proxies) {
    const { config, diagnostics } = compile(p);
    out[`${p.workload.namespace}/${p.workload.name}`] = { version: config.version, diagnostics: fnv1a64(canonicalJson(diagnostics)), count: diagnostics.length };
  }
  return out;
}

const meshes = { demo: demoMesh(), generated: generatedMesh() };

// Hundreds of whole compiles: generous limits for a loaded 2-core machine (no timing is asserted).
describe("MeshCompiler", { timeout: 300_000 }, () => {
  it.each(Object.keys(meshes) as (keyof typeof meshes)[])("compiles the %s mesh exactly as the compiler before the split did, proxy by proxy", (name) => {
    const mesh = meshes[name];
    const alone = record(mesh, (p) => compileProxyConfig({ resources: mesh.resources, catalog: mesh.catalog, ...p }));
    const compiler = new MeshCompiler({ resources: mesh.resources, catalog: mesh.catalog });
    const shared = record(mesh, (p) => compiler.compile(p));
    if (UPDATE || !existsSync(EXPECTED)) {
      const all: Recorded = existsSync(EXPECTED) ? (JSON.parse(readFileSync(EXPECTED, "utf8")) as Recorded) : {};
      writeFileSync(EXPECTED, `${JSON.stringify({ ...all, [name]: alone }, null, 2)}\n`);
      if (!UPDATE) throw new Error(`${EXPECTED} was written: review it, then run again`);
    }
    const expected = (JSON.parse(readFileSync(EXPECTED, "utf8")) as Recorded)[name];
    expect(Object.keys(alone).length).toBe(mesh.proxies.length);
    expect(alone).toEqual(expected);
    expect(shared).toEqual(expected);
    // Proxies that sit alike shared their outbound part.
    expect(compiler.stats.compiles).toBe(mesh.proxies.length);
    expect(compiler.stats.outboundParts).toBeLessThan(mesh.proxies.length);
  });

  it("gives byte-identical configs and diagnostics to compileProxyConfig, also when the outbound part was built for another workload", () => {
    const mesh = meshes.generated;
    const compiler = new MeshCompiler({ resources: mesh.resources, catalog: mesh.catalog });
    // Twice over, in reverse the second time: results must not depend on which proxy built a shared part.
    for (const proxies of [mesh.proxies, [...mesh.proxies].reverse()])
      for (const p of proxies) {
        const expected = compileProxyConfig({ resources: mesh.resources, catalog: mesh.catalog, ...p });
        const actual = compiler.compile(p);
        expect(JSON.stringify(actual.config)).toBe(JSON.stringify(expected.config));
        expect(JSON.stringify(actual.diagnostics)).toBe(JSON.stringify(expected.diagnostics));
      }
  });

  it("compiles every golden case as compileProxyConfig does, beside other workloads of the same snapshot", () => {
    const cases = readdirSync(TESTDATA, { withFileTypes: true }).filter((d) => d.isDirectory());
    expect(cases.length).toBeGreaterThan(5);
    for (const dir of cases) {
      const input = parseProxyConfigDocument(readFileSync(join(TESTDATA, dir.name, "input.yaml"), "utf8")) as CompileInputRaw;
      const compiler = new MeshCompiler({ resources: input.resources, catalog: input.catalog });
      // A neighbour in another namespace and one without identity build their own outbound parts first.
      compiler.compile({ workload: { ...input.workload, name: "other", namespace: "elsewhere" }, options: input.options });
      compiler.compile({ workload: { ...input.workload, name: "plain" }, options: { ...input.options, identity: undefined } });
      const expected = compileProxyConfig(input);
      const actual = compiler.compile({ workload: input.workload, options: input.options });
      expect(JSON.stringify(actual.config), dir.name).toBe(JSON.stringify(expected.config));
      expect(actual.diagnostics, dir.name).toEqual(expected.diagnostics);
    }
  });

  it("refuses a malformed snapshot or proxy with the field path, as compileProxyConfig does", () => {
    expect(() => new MeshCompiler({ catalog: { services: [{ name: "Bad Name", namespace: "shop", cluster: "east", ports: [{ port: 80 }] }] } })).toThrow(/catalog\.services\[0\]\.name/);
    const compiler = new MeshCompiler({});
    try {
      compiler.compile({ workload: { name: "w", namespace: "shop", service: "web", cluster: "east", serviceAccount: "web" }, options: { outboundPort: 15001, inboundPort: 70000, adminPort: 15000 } });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CompileInputError);
      expect((err as CompileInputError).issues.map((i) => i.path)).toEqual(["options.inboundPort"]);
    }
  });

  it("keys a proxy's input by content: equal for the same snapshot and proxy, different when either changes", () => {
    const mesh = meshes.demo;
    const [first, second] = mesh.proxies as [GeneratedMesh["proxies"][number], GeneratedMesh["proxies"][number]];
    const a = new MeshCompiler({ resources: mesh.resources, catalog: mesh.catalog });
    const b = new MeshCompiler({ resources: [...mesh.resources], catalog: { services: [...mesh.catalog.services] } });
    expect(a.inputKey(first)).toBe(b.inputKey(first));
    expect(a.inputKey(first)).not.toBe(a.inputKey(second));
    const changed = new MeshCompiler({ resources: mesh.resources.slice(1), catalog: mesh.catalog });
    expect(changed.inputKey(first)).not.toBe(a.inputKey(first));
  });
});

describe("SharedParseCache", { timeout: 300_000 }, () => {
  it("reuses the last snapshot's parses where content is unchanged, and compiles exactly as without it", () => {
    const mesh = meshes.generated;
    const cache = new SharedParseCache();
    // A second snapshot with one resource removed (as after a write): every other entry's parse is reused.
    for (const resources of [mesh.resources, mesh.resources.slice(1)]) {
      const cached = new MeshCompiler({ resources, catalog: mesh.catalog }, { cache });
      const plain = new MeshCompiler({ resources, catalog: mesh.catalog });
      for (const p of mesh.proxies.slice(0, 10)) {
        expect(cached.inputKey(p)).toBe(plain.inputKey(p));
        expect(JSON.stringify(cached.compile(p))).toBe(JSON.stringify(plain.compile(p)));
      }
    }
    expect(cache.stats).toEqual({ parsed: mesh.resources.length, reused: mesh.resources.length - 1 });
  });

  it("with the source's content keys, reuses parses by key (not by JSON) and compiles exactly as without them", () => {
    const mesh = meshes.generated;
    const cache = new SharedParseCache();
    const ids = mesh.resources.map((_, i) => `r${i}.1`);
    for (const [resources, keys] of [
      [mesh.resources, ids],
      [mesh.resources.slice(1), ids.slice(1)],
    ] as const) {
      const cached = new MeshCompiler({ resources, catalog: mesh.catalog }, { cache, keys: { resources: keys, catalog: "c1" } });
      const plain = new MeshCompiler({ resources, catalog: mesh.catalog });
      for (const p of mesh.proxies.slice(0, 10)) expect(JSON.stringify(cached.compile(p))).toBe(JSON.stringify(plain.compile(p)));
    }
    expect(cache.stats).toEqual({ parsed: mesh.resources.length, reused: mesh.resources.length - 1 });
    // A key names its content: a new revision id is parsed again even where the JSON is the same.
    new MeshCompiler({ resources: mesh.resources.slice(1), catalog: mesh.catalog }, { cache, keys: { resources: ["new.2", ...ids.slice(2)], catalog: "c1" } });
    expect(cache.stats.parsed).toBe(mesh.resources.length + 1);
    // Keys that do not fit the resources are ignored (JSON decides).
    new MeshCompiler({ resources: mesh.resources.slice(1), catalog: mesh.catalog }, { cache, keys: { resources: ids, catalog: "c1" } });
    expect(cache.stats.parsed).toBe(mesh.resources.length + 1 + mesh.resources.length - 1);
  });

  it("keys the content hash by the source's keys when it has them: equal keys, equal input key", () => {
    const mesh = meshes.generated;
    const ids = mesh.resources.map((_, i) => `r${i}.1`);
    const first = mesh.proxies[0]!;
    const a = new MeshCompiler({ resources: mesh.resources, catalog: mesh.catalog }, { keys: { resources: ids, catalog: "c1" } });
    const b = new MeshCompiler({ resources: [...mesh.resources], catalog: mesh.catalog }, { keys: { resources: [...ids], catalog: "c1" } });
    expect(a.inputKey(first)).toBe(b.inputKey(first));
    const otherCatalog = new MeshCompiler({ resources: mesh.resources, catalog: mesh.catalog }, { keys: { resources: ids, catalog: "c2" } });
    const otherRevision = new MeshCompiler({ resources: mesh.resources, catalog: mesh.catalog }, { keys: { resources: ["x.2", ...ids.slice(1)], catalog: "c1" } });
    for (const other of [otherCatalog, otherRevision]) expect(other.inputKey(first)).not.toBe(a.inputKey(first));
  });

  it("still refuses a malformed resource or catalog with the field path, also after a valid snapshot", () => {
    const mesh = meshes.demo;
    const cache = new SharedParseCache();
    new MeshCompiler({ resources: mesh.resources, catalog: mesh.catalog }, { cache });
    const [first, ...rest] = mesh.resources as Record<string, unknown>[];
    const broken = [...rest, { ...first!, resource: { ...(first!.resource as object), kind: "NoSuchKind" } }];
    const error = (build: () => unknown) => {
      try {
        build();
      } catch (err) {
        return (err as CompileInputError).issues.map((i) => i.path);
      }
      return "accepted";
    };
    const withCache = error(() => new MeshCompiler({ resources: broken as never, catalog: mesh.catalog }, { cache }));
    expect(withCache).toEqual(error(() => new MeshCompiler({ resources: broken as never, catalog: mesh.catalog })));
    expect(withCache).toEqual([`resources[${rest.length}].resource.kind`]);
    const badCatalog = { services: [{ name: "Bad Name", namespace: "shop", cluster: "east", ports: [{ port: 80 }] }] };
    expect(() => new MeshCompiler({ resources: mesh.resources, catalog: badCatalog }, { cache })).toThrow(/catalog\.services\[0\]\.name/);
  });
});

describe("fnv1a64", () => {
  /** The four-limb form the compiler used before (the reference). */
  function reference(text: string): string {
    let h0 = 0x2325, h1 = 0x8422, h2 = 0x9ce4, h3 = 0xcbf2;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h0 ^= c & 0xff;
      h1 ^= c >>> 8;
      const t0 = h0 * 0x1b3;
      const t1 = h1 * 0x1b3;
      const t2 = h2 * 0x1b3 + (h0 << 8);
      const t3 = h3 * 0x1b3 + (h1 << 8);
      h0 = t0 & 0xffff;
      const c1 = t1 + (t0 >>> 16);
      h1 = c1 & 0xffff;
      const c2 = t2 + Math.floor(c1 / 0x10000);
      h2 = c2 & 0xffff;
      h3 = (t3 + Math.floor(c2 / 0x10000)) & 0xffff;
    }
    return [h3, h2, h1, h0].map((limb) => limb.toString(16).padStart(4, "0")).join("");
  }

  it("gives the digests of the four-limb form, for ASCII, non-ASCII and long text", () => {
    const texts = ["", "a", "weft", '{"backends":[]}', "zoë → 東京 🚀", "\uffff\u0000\u00ff\u0100", canonicalJson(meshes.generated.catalog)];
    for (const t of texts) expect(fnv1a64(t)).toBe(reference(t));
  });
});
