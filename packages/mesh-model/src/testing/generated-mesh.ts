// Test-only: deterministic meshes for checking that compiling many proxies
// against one shared snapshot (MeshCompiler) gives exactly what compiling each
// proxy on its own gives. Not exported from the package.
import type { CompileInputRaw } from "../compiler/compile-input.ts";

type Raw = CompileInputRaw;
type Resources = NonNullable<Raw["resources"]>;
type Services = NonNullable<NonNullable<Raw["catalog"]>["services"]>;
export interface ProxyInput {
  workload: Raw["workload"];
  options: Raw["options"];
}
export interface GeneratedMesh {
  resources: Resources;
  catalog: { services: Services };
  proxies: ProxyInput[];
}

const TD = "mesh.test";
const identity = (ns: string, name: string) => ({
  trustDomain: TD,
  svid: { source: "file" as const, certChainPath: `/run/weft/${ns}/${name}/svid.pem`, keyPath: `/run/weft/${ns}/${name}/key.pem` },
  trustBundle: { source: "file" as const, path: "/run/weft/bundle.pem" },
});
const at = (day: number) => `2024-02-${String(day).padStart(2, "0")}T10:00:00Z`;
const doc = (kind: string, name: string, namespace: string | undefined, spec: unknown, day: number): Resources[number] =>
  ({ createdAt: at(day), resource: { apiVersion: "weft.io/v1alpha1", kind, metadata: namespace ? { name, namespace } : { name }, spec } }) as Resources[number];

/**
 * The demo's shop (npm start): loadgen → frontend → catalog (v1, v2 in east;
 * v1 in west) → inventory (no proxy), reviews in west only (reached from east
 * through west's east-west gateway), a STRICT Mesh with 10 % tracing, a 90/10
 * canary route for catalog and a TrafficPolicy on it.
 */
export function demoMesh(): GeneratedMesh {
  const resources: Resources = [
    doc("Mesh", "default", undefined, { trustDomain: TD, mtls: { mode: "STRICT" }, tracing: { sampleRate: 0.1 } }, 1),
    doc("HTTPRoute", "catalog-canary", "shop", { parentRefs: [{ name: "catalog" }], rules: [{ name: "split", backendRefs: [{ name: "catalog", version: "v1", weight: 90 }, { name: "catalog", version: "v2", weight: 10 }] }] }, 2),
    doc("TrafficPolicy", "catalog", "shop", { targetRef: { name: "catalog" }, retries: { attempts: 2, retryOn: ["5xx"] }, timeouts: { request: "3s" } }, 3),
  ];
  const ep = (address: string, cluster: string, version: string, sa: string, sidecar = true) => ({ address, port: 15006, cluster, version, zone: `${cluster}-a`, ready: true, serviceAccount: sa, sidecar });
  const svc = (name: string, cluster: string, endpoints: unknown[]) => ({ name, namespace: "shop", cluster, ports: [{ name: "http", port: 8080, protocol: "HTTP" }], endpoints }) as Services[number];
  const gw = (cluster: string, version: string, sidecar = true) => ({ address: `${cluster}.gw.test`, port: 15443, cluster, version, zone: `${cluster}-a`, ready: true, viaGateway: true, sidecar });
  const services: Services = [
    svc("loadgen", "east", [ep("10.1.0.1", "east", "v1", "loadgen")]),
    svc("frontend", "east", [ep("10.1.0.2", "east", "v1", "frontend")]),
    svc("catalog", "east", [ep("10.1.0.3", "east", "v1", "catalog"), ep("10.1.0.4", "east", "v2", "catalog")]),
    svc("inventory", "east", [{ ...ep("10.1.0.5", "east", "v1", "inventory", false), port: 8080 }]),
    svc("loadgen", "west", [gw("west", "v1")]),
    svc("frontend", "west", [gw("west", "v1")]),
    svc("catalog", "west", [gw("west", "v1")]),
    svc("inventory", "west", [gw("west", "v1", false)]),
    svc("reviews", "west", [gw("west", "v1")]),
  ];
  const proxies: ProxyInput[] = ["loadgen", "frontend", "catalog", "catalog"].map((service, i) => ({
    workload: { name: `${service}-${i}`, namespace: "shop", service, version: i === 3 ? "v2" : "v1", cluster: "east", zone: "east-a", serviceAccount: service, appPorts: [{ port: 8080 }] },
    options: { outboundPort: 15001, inboundPort: 15006, inboundAddress: `10.1.0.${i + 1}`, appAddress: `10.1.0.${i + 1}`, adminPort: 15000, identity: identity("shop", `${service}-${i}`), mtlsMode: "STRICT" },
  }));
  return { resources, catalog: { services }, proxies };
}

/**
 * A larger mesh: `namespaces` × `perNamespace` services over three clusters
 * (local endpoints in east, gateways for west and central), every fifth
 * service with two versions and a canary route, some with mirrors, consumer
 * routes, cluster-scoped rules, multi-port and TCP services, TrafficPolicies
 * (locality, retries, rate limits, ring hash), AuthorizationPolicies,
 * RequestAuthentications, PeerAuthentications and ExternalServices; proxies
 * in several namespaces and zones, with and without identity, local ports.
 */
export function generatedMesh(namespaces = 4, perNamespace = 20): GeneratedMesh {
  const resources: Resources = [doc("Mesh", "default", undefined, { trustDomain: TD, mtls: { mode: "PERMISSIVE" }, defaults: { requestTimeout: "10s" } }, 1)];
  const services: Services = [];
  const proxies: ProxyInput[] = [];
  let day = 2;
  const next = () => (day = (day % 27) + 2);
  for (let n = 0; n < namespaces; n++) {
    const ns = `team-${n}`;
    if (n % 2 === 0) resources.push(doc("PeerAuthentication", "ns", ns, { mtls: { mode: "STRICT" } }, next()));
    resources.push(doc("ExternalService", "api", ns, { hosts: [`api-${n}.example.com`, "*.wild.example.com"], ports: [{ number: 443, protocol: "HTTP" }], tls: { mode: "SIMPLE" } }, next()));
    for (let s = 0; s < perNamespace; s++) {
      const name = `svc-${s}`;
      const versions = s % 5 === 0 ? ["v1", "v2"] : ["v1"];
      const tcp = s % 17 === 16;
      const ports = tcp ? [{ name: "tcp", port: 5432, protocol: "TCP" }] : s % 11 === 3 ? [{ name: "http", port: 8080, protocol: "HTTP" }, { name: "grpc", port: 9090, protocol: "GRPC" }] : [{ name: "http", port: 8080, protocol: "HTTP" }];
      const east = versions.map((v, i) => ({ address: `10.${n}.${s}.${i + 1}`, port: 15006, ports: { grpc: 15007 }, cluster: "east", version: v, zone: `z${(s + i) % 3}`, ready: (s + i) % 13 !== 7, serviceAccount: name, weight: i + 1 }));
      services.push({ name, namespace: ns, cluster: "east", ports, endpoints: east } as Services[number]);
      if (s % 3 !== 0) services.push({ name, namespace: ns, cluster: "west", ports, endpoints: versions.map((v) => ({ address: "west.gw.test", port: 15443, cluster: "west", version: v, ready: true, weight: 2, viaGateway: true, sidecar: s % 7 !== 1, serviceAccount: name })) } as Services[number]);
      if (s % 4 === 1) services.push({ name, namespace: ns, cluster: "central", ports, endpoints: [{ address: "central.gw.test", port: 15443, cluster: "central", version: "v1", ready: true, viaGateway: true }], ...(s % 8 === 1 ? { exported: false } : {}) } as Services[number]);
      if (tcp) continue;
      const callee = `svc-${(s + 1) % perNamespace}`;
      if (versions.length === 2)
        resources.push(
          doc("HTTPRoute", `${name}-canary`, ns, { parentRefs: [{ name }], rules: [{ matches: [{ headers: [{ name: "x-canary", value: "1" }] }], backendRefs: [{ name, version: "v2" }] }, { name: "split", clusters: s % 10 === 0 ? ["east"] : undefined, backendRefs: [{ name, version: "v1", weight: 90 }, { name, version: "v2", weight: 10, filters: [{ type: "ResponseHeaderModifier", responseHeaderModifier: { add: [{ name: "x-v", value: "2" }] } }] }] }] }, next()),
        );
      if (s % 6 === 2)
        resources.push(doc("HTTPRoute", `${name}-mirror`, ns, { parentRefs: [{ name }], rules: [{ filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: callee }, percent: 10 } }], backendRefs: [{ name }], timeouts: { request: "2s" } }, { matches: [{ path: { type: "PathPrefix", value: "/ext" } }], backendRefs: [{ kind: "ExternalService", name: "api", port: 443 }] }] }, next()));
      if (s % 9 === 4) resources.push(doc("HTTPRoute", `to-${name}`, `team-${(n + 1) % namespaces}`, { parentRefs: [{ name, namespace: ns }], rules: [{ backendRefs: [{ name, namespace: ns }], retry: { attempts: 1 } }] }, next()));
      if (s % 4 === 0)
        resources.push(
          doc("TrafficPolicy", name, ns, { targetRef: { name }, loadBalancer: { algorithm: "LEAST_REQUEST", locality: s % 8 === 0 ? { failover: [{ from: "east", to: ["central", "west"] }] } : { distribute: [{ from: "east/z1", to: { "east/z1": 60, west: 40 } }] } }, retries: { attempts: 3, budget: { percent: 20, minRetriesPerSecond: 5 } }, timeouts: { request: "4s" } }, next()),
        );
      if (s % 5 === 0) resources.push(doc("TrafficPolicy", `${name}-v2`, ns, { targetRef: { name, version: "v2" }, loadBalancer: { algorithm: "RING_HASH", ringHash: { hashOn: { type: "Header", header: "x-user" } } } }, next()));
      if (s % 7 === 3) resources.push(doc("TrafficPolicy", `${name}-limits`, ns, { targetRef: { name }, rateLimits: { local: [{ name: "all", key: { type: "Header", header: "x-user" }, tokenBucket: { requests: 100, per: "1s" } }] } }, next()));
      if (s % 8 === 5) resources.push(doc("AuthorizationPolicy", `${name}-allow`, ns, { targetRef: { name }, action: "ALLOW", rules: [{ from: { namespaces: [ns] } }, { to: { methods: ["GET"] } }] }, next()));
      if (s % 10 === 6) resources.push(doc("RequestAuthentication", `${name}-jwt`, ns, { targetRef: { name }, jwtRules: [{ issuer: `https://idp-${n}.example`, jwks: { type: "File", path: "/etc/jwks.json" } }] }, next()));
      // Proxies: one per version of every third service, in three zones, some without identity, some with local ports.
      if (s % 3 === 0)
        versions.forEach((v, i) =>
          proxies.push({
            workload: { name: `${name}-${v}-${i}`, namespace: ns, service: name, version: v, cluster: "east", zone: `z${(s + i) % 3}`, serviceAccount: name, appPorts: s % 11 === 3 ? [{ port: 8080 }, { port: 9090, protocol: "GRPC", inboundPort: 15007 }] : [{ port: 8080 }] },
            options: {
              outboundPort: 15001,
              inboundPort: 15006,
              inboundAddress: `10.${n}.${s}.${i + 1}`,
              appAddress: `10.${n}.${s}.${i + 1}`,
              adminPort: 15000,
              ...(s % 2 === 0 ? { identity: identity(ns, `${name}-${v}`), mtlsMode: "PERMISSIVE" as const } : {}),
              ...(s % 6 === 3 ? { localPorts: [{ service: callee, port: 8080, localPort: 16001 }, { service: "svc-16", port: 5432, localPort: 16002 }] } : {}),
            },
          }),
        );
    }
  }
  return { resources, catalog: { services }, proxies };
}
