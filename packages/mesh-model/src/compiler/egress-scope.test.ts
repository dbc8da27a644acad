// Egress scoping (Sidecar): a scoped proxy's config holds the services in
// scope (and what their routes send to), its input key ignores the rest of the
// mesh, and MeshCompiler still gives exactly what compileProxyConfig gives.
import { describe, expect, it } from "vitest";
import { type GeneratedMesh, generatedMesh } from "../testing/generated-mesh.ts";
import { compileProxyConfig } from "./compile.ts";
import { MeshCompiler } from "./mesh-compiler.ts";

type Entry = GeneratedMesh["resources"][number];
const sidecar = (name: string, namespace: string, hosts: string[], target?: string, day = 28): Entry =>
  ({ createdAt: `2024-02-${day}T10:00:00Z`, resource: { apiVersion: "weft.io/v1alpha1", kind: "Sidecar", metadata: { name, namespace }, spec: { ...(target ? { targetRef: { name: target } } : {}), egress: { hosts } } } }) as Entry;
const policy = (name: string, namespace: string, target: string): Entry =>
  ({ createdAt: "2024-02-28T11:00:00Z", resource: { apiVersion: "weft.io/v1alpha1", kind: "TrafficPolicy", metadata: { name, namespace }, spec: { targetRef: { name: target }, loadBalancer: { algorithm: "RANDOM" } } } }) as Entry;

const base = generatedMesh(4, 20);
// team-0: every workload may call its own namespace's svc-1 and svc-2 and team-1's services; svc-6 of team-0 only team-2/svc-4.
const scoped: GeneratedMesh = { ...base, resources: [...base.resources, sidecar("default", "team-0", ["./svc-1", "./svc-2", "team-1/*", "team-0/api"]), sidecar("svc-6", "team-0", ["team-2/svc-4"], "svc-6")] };
const proxyOf = (mesh: GeneratedMesh, name: string) => {
  const p = mesh.proxies.find((x) => `${x.workload.namespace}/${x.workload.name}` === name);
  if (!p) throw new Error(`no proxy ${name}`);
  return p;
};
const compile = (mesh: GeneratedMesh, name: string) => compileProxyConfig({ resources: mesh.resources, catalog: mesh.catalog, ...proxyOf(mesh, name) });

// Dozens of whole compiles each: generous limits for a loaded 2-core machine (no timing is asserted).
describe("egress scoping (Sidecar)", { timeout: 300_000 }, () => {
  it("compiles only the services in scope, with the backends their routes send to", () => {
    const full = compile(base, "team-0/svc-0-v1-0");
    const { config, diagnostics } = compile(scoped, "team-0/svc-0-v1-0");
    expect(full.config.virtualHosts.length).toBeGreaterThan(60);
    const hosts = config.virtualHosts.map((v) => v.name);
    // team-1/* takes in its ExternalService too; svc-16 of each namespace is TCP (no virtual host).
    const team1 = Array.from({ length: 20 }, (_, i) => `svc-${i}.team-1`).filter((h) => h !== "svc-16.team-1");
    expect(hosts).toEqual(["external.team-0.api.api-0.example.com", "external.team-1.api.api-1.example.com", "svc-1.team-0", "svc-2.team-0", ...team1].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    // svc-2's mirror route sends to svc-3 and to the ExternalService: their backends come along, their hosts do not.
    expect(config.backends.map((b) => b.name)).toEqual(expect.arrayContaining(["svc-3.team-0:8080", "external.team-0.api:443/api-0.example.com"]));
    expect(hosts).not.toContain("svc-3.team-0");
    // Short names still resolve in the workload's namespace; a scoped-in host is compiled as the full mesh's compile has it.
    expect(config.virtualHosts.find((v) => v.name === "svc-1.team-0")).toEqual(full.config.virtualHosts.find((v) => v.name === "svc-1.team-0"));
    expect(diagnostics).toContainEqual({ severity: "info", code: "egress_scoped", resource: "Sidecar/team-0/default", path: "spec.egress.hosts", message: expect.stringContaining("compiled for 22 services in scope") });
  });

  it("lets a service's Sidecar win over its namespace's, keeps local ports' services, and leaves other namespaces whole", () => {
    const six = compile(scoped, "team-0/svc-6-v1-0");
    expect(six.config.virtualHosts.map((v) => v.name)).toEqual(["svc-4.team-2"]);
    // svc-3 has local ports for svc-4 (HTTP) and svc-16 (TCP): both stay reachable, whatever the hosts say.
    const three = compile(scoped, "team-0/svc-3-v1-0");
    expect(three.config.listeners.filter((l) => l.name.startsWith("local-")).map((l) => l.name)).toEqual(["local-16001-svc-4-team-0", "local-16002-svc-16-team-0"]);
    expect(three.config.virtualHosts.map((v) => v.name)).toContain("svc-4.team-0");
    expect(compile(scoped, "team-1/svc-0-v1-0").config).toEqual(compile(base, "team-1/svc-0-v1-0").config);
  });

  it("compiles '*/*' to the same config as no scope", () => {
    const everything: GeneratedMesh = { ...base, resources: [...base.resources, sidecar("all", "team-0", ["*/*"])] };
    expect(compile(everything, "team-0/svc-0-v1-0").config).toEqual(compile(base, "team-0/svc-0-v1-0").config);
  });

  it("uses the older of two Sidecars for the same workloads and says so", () => {
    const two: GeneratedMesh = { ...base, resources: [...base.resources, sidecar("newer", "team-0", ["./svc-1"], undefined, 28), sidecar("older", "team-0", ["./svc-2"], undefined, 20)] };
    const { config, diagnostics } = compile(two, "team-0/svc-0-v1-0");
    expect(config.virtualHosts.map((v) => v.name)).toEqual(["svc-2.team-0"]);
    expect(diagnostics).toContainEqual(expect.objectContaining({ severity: "warning", code: "conflicting_policies", resource: "Sidecar/team-0/newer" }));
  });

  it("gives the same results through MeshCompiler, sharing outbound parts between proxies of one scope", () => {
    const compiler = new MeshCompiler({ resources: scoped.resources, catalog: scoped.catalog });
    for (const p of scoped.proxies) {
      const expected = compileProxyConfig({ resources: scoped.resources, catalog: scoped.catalog, ...p });
      const actual = compiler.compile(p);
      expect(JSON.stringify(actual.config)).toBe(JSON.stringify(expected.config));
      expect(actual.diagnostics).toEqual(expected.diagnostics);
    }
    expect(compiler.stats.outboundParts).toBeLessThan(scoped.proxies.length);
  });

  it("keys a scoped proxy by what its scope can see: a change elsewhere keeps key and config, a change in scope changes both", () => {
    const name = "team-0/svc-0-v1-0";
    const keyAndVersion = (mesh: GeneratedMesh) => {
      const compiler = new MeshCompiler({ resources: mesh.resources, catalog: mesh.catalog });
      return { key: compiler.inputKey(proxyOf(mesh, name)), version: compiler.compile(proxyOf(mesh, name)).config.version };
    };
    const before = keyAndVersion(scoped);
    const elsewhere: GeneratedMesh = {
      ...scoped,
      resources: [...scoped.resources, policy("out-of-scope", "team-2", "svc-1")],
      catalog: { services: scoped.catalog.services.map((s) => (s.namespace === "team-3" && s.name === "svc-2" ? { ...s, endpoints: [] } : s)) },
    };
    expect(keyAndVersion(elsewhere)).toEqual(before);
    // The unscoped proxies of team-2 do see it.
    expect(new MeshCompiler({ resources: elsewhere.resources, catalog: elsewhere.catalog }).inputKey(proxyOf(elsewhere, "team-2/svc-0-v1-0"))).not.toBe(
      new MeshCompiler({ resources: scoped.resources, catalog: scoped.catalog }).inputKey(proxyOf(scoped, "team-2/svc-0-v1-0")),
    );
    for (const changed of [
      { ...scoped, resources: [...scoped.resources, policy("in-scope", "team-1", "svc-5")] },
      // svc-3 is out of scope but svc-2's mirror sends to it.
      { ...scoped, resources: [...scoped.resources, policy("mirror-target", "team-0", "svc-3")] },
      { ...scoped, catalog: { services: scoped.catalog.services.map((s) => (s.namespace === "team-1" && s.name === "svc-4" && s.cluster === "east" ? { ...s, endpoints: [] } : s)) } },
    ]) {
      const after = keyAndVersion(changed);
      expect(after.key).not.toBe(before.key);
      expect(after.version).not.toBe(before.version);
    }
  });
});
