import { validateResource, type ClusterConfig, type Resource } from "@weft/mesh-model";
import { MeshCompiler, SharedParseCache } from "@weft/mesh-model/compiler";
import { describe, expect, it } from "vitest";
import { UniversalFileSchema } from "../universal/universal-file.schema.ts";
import { proxyCompileInputs, RemoteCatalogCache, remoteCatalog, sharedCompileInput, sharedCompileInputWithKeys } from "./compile-inputs.ts";

const file = UniversalFileSchema.parse({
  services: [{ name: "web", namespace: "shop", instances: [{ address: "127.0.0.1", port: 9080, proxy: { inboundPort: 16001, outboundPort: 16002, adminPort: 16003 } }] }],
});

const policy = (name: string, algorithm: string): Resource => {
  const result = validateResource({ apiVersion: "weft.io/v1alpha1", kind: "TrafficPolicy", metadata: { name, namespace: "shop" }, spec: { targetRef: { name: "catalog" }, loadBalancer: { algorithm } } });
  if (!result.ok) throw new Error(JSON.stringify(result));
  return result.value;
};

const config = (over: Partial<ClusterConfig> = {}): ClusterConfig =>
  ({
    cluster: "east",
    configVersion: "7",
    catalogVersion: "3",
    mesh: { trustDomain: "weft.local", mtlsMode: "PERMISSIVE" },
    trust: null,
    resources: [policy("a", "ROUND_ROBIN"), policy("b", "LEAST_REQUEST")],
    resourceRevisions: ["id-a.1", "id-b.4"],
    catalog: [
      {
        namespace: "shop",
        name: "catalog",
        ports: [{ port: 8080, protocol: "http" }],
        clusters: [{ cluster: "west", region: null, gateway: { address: "west-gw", port: 15443 }, versions: ["v1"], endpoints: [{ version: "v1", zone: null, healthy: 1, total: 1 }] }],
      },
    ],
    catalogDigest: "d1",
    ...over,
  }) as ClusterConfig;

describe("the shared compile input's content keys", () => {
  it("are the manager's revision ids and catalog digest, the catalog's key also covering the file's own services", () => {
    const { shared, keys } = sharedCompileInputWithKeys(file, "east", config());
    expect(shared).toEqual(sharedCompileInput(file, "east", config()));
    expect(keys.resources).toEqual(["id-a.1", "id-b.4"]);
    expect(keys.catalog).toMatch(/^d1:/);
    const moved = UniversalFileSchema.parse({ services: [{ ...file.services[0], instances: [{ ...file.services[0]!.instances[0], port: 9090 }] }] });
    expect(sharedCompileInputWithKeys(moved, "east", config()).keys.catalog).not.toBe(keys.catalog);
    expect(sharedCompileInputWithKeys(file, "east", config({ catalogDigest: "d2" })).keys.catalog).not.toBe(keys.catalog);
  });

  it("are absent for a config of an older manager, which is then compared by content", () => {
    expect(sharedCompileInputWithKeys(file, "east", config({ resourceRevisions: undefined, catalogDigest: undefined })).keys).toEqual({ resources: undefined, catalog: undefined });
    expect(sharedCompileInputWithKeys(file, "east", undefined).keys).toEqual({ resources: undefined, catalog: undefined });
  });

  it("compile every proxy as the content does, and parse again only a resource with a new revision", () => {
    const cache = new SharedParseCache();
    const compileAll = (c: ClusterConfig, withKeys: boolean) => {
      const { shared, keys } = sharedCompileInputWithKeys(file, "east", c);
      const compiler = new MeshCompiler(shared, withKeys ? { cache, keys } : {});
      return [...proxyCompileInputs(file, "east", c)].map(([, input]) => JSON.stringify(compiler.compile(input).config));
    };
    expect(compileAll(config(), true)).toEqual(compileAll(config(), false));
    const changed = config({ resources: [policy("a", "RANDOM"), policy("b", "LEAST_REQUEST")], resourceRevisions: ["id-a.2", "id-b.4"] });
    expect(compileAll(changed, true)).toEqual(compileAll(changed, false));
    expect(compileAll(changed, true)).not.toEqual(compileAll(config(), false));
    expect(cache.stats).toEqual({ parsed: 3, reused: 3 });
  });

  it("keep the remote catalog mapped while its digest is unchanged", () => {
    const remote = new RemoteCatalogCache();
    const first = remote.of(config());
    expect(first).toEqual(remoteCatalog(config()));
    expect(remote.of(config({ configVersion: "8" }))).toBe(first);
    const moved = config({ catalog: [{ ...config().catalog[0]!, clusters: [{ ...config().catalog[0]!.clusters[0]!, gateway: { address: "west-gw-2", port: 15443 } }] }], catalogDigest: "d2" });
    expect(remote.of(moved)).toEqual(remoteCatalog(moved));
    expect(remote.of(moved)[0]?.endpoints?.[0]?.address).toBe("west-gw-2");
    // A config without a digest (an older manager) is mapped every time.
    expect(remote.of(config({ catalogDigest: undefined }))).not.toBe(remote.of(config({ catalogDigest: undefined })));
    expect(sharedCompileInputWithKeys(file, "east", moved, remote).shared).toEqual(sharedCompileInput(file, "east", moved));
  });
});
