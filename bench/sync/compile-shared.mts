// CPU time (process.cpuUsage: robust to a loaded machine, unlike wall time) of
// one agent's work on one snapshot at bench:sync's size: 1,000 services (950
// behind other clusters' gateways), 100 local proxies (2 per service, with
// identity), and one TrafficPolicy. Compares MeshCompiler (snapshot parsed
// once, outbound parts shared) with compileProxyConfig per proxy; with
// BENCH_SCOPE=callees (the default) every service has a Sidecar listing
// BENCH_CALLEES (10) services, with BENCH_SCOPE=none every proxy gets the mesh.
//
//   npm run bench:compile-shared -w @weft/agent
import { MeshCompiler, compileProxyConfig, type ResourceEntryInput } from "@weft/mesh-model/compiler";

const N = Number(process.env.BENCH_SERVICES ?? 1000);
const CALLEES = Number(process.env.BENCH_CALLEES ?? 10);
const SCOPED = (process.env.BENCH_SCOPE ?? "callees") !== "none";
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const services = Array.from({ length: N }, (_, i) => {
  const cluster = `bench-${String(Math.floor(i / 50)).padStart(2, "0")}`;
  const local = cluster === "bench-00";
  return { name: `svc-${i}`, namespace: "bench", cluster, ports: [{ name: "http", port: 8080, protocol: "HTTP" }],
    endpoints: local ? [0, 1].map((k) => ({ address: `10.0.${k}.${i + 1}`, port: 15006, cluster, version: "v1", zone: `${cluster}-a`, ready: true, serviceAccount: `svc-${i}`, sidecar: true }))
      : [{ address: `${cluster}.gw.example`, port: 15443, cluster, ready: true, weight: 1, viaGateway: true, sidecar: true, serviceAccount: `svc-${i}`, version: "v1", zone: `${cluster}-a` }] };
});
const resources: ResourceEntryInput[] = [{ resource: { apiVersion: "weft.io/v1alpha1", kind: "TrafficPolicy", metadata: { name: "p", namespace: "bench" }, spec: { targetRef: { name: "svc-0" }, loadBalancer: { algorithm: "LEAST_REQUEST" } } }, createdAt: "2026-01-01T00:00:00Z" }];
if (SCOPED) for (let i = 0; i < N; i++) resources.push({ resource: { apiVersion: "weft.io/v1alpha1", kind: "Sidecar", metadata: { name: `svc-${i}`, namespace: "bench" }, spec: { targetRef: { name: `svc-${i}` }, egress: { hosts: Array.from({ length: CALLEES }, (_, k) => `bench/svc-${(i + 1 + k) % N}`) } } }, createdAt: "2026-01-01T00:00:00Z" });
const identity = (i: number) => ({ trustDomain: "weft.local", svid: { source: "file", certChainPath: `/s/${i}/c.pem`, keyPath: `/s/${i}/k.pem` }, trustBundle: { source: "file", path: "/s/b.pem" }, fileCheckIntervalMs: 1000 });
const proxies = Array.from({ length: 100 }, (_, p) => ({ workload: { name: `svc-${p >> 1}-${p}`, namespace: "bench", service: `svc-${p >> 1}`, version: "v1", zone: "bench-00-a", cluster: "bench-00", serviceAccount: `svc-${p >> 1}`, appPorts: [{ port: 8080, protocol: "HTTP" }] },
  options: { outboundPort: 15001, inboundPort: 15006, inboundAddress: `10.0.${p & 1}.${(p >> 1) + 1}`, appAddress: `10.0.${p & 1}.${(p >> 1) + 1}`, adminPort: 15000, localPorts: [], identity: identity(p), mtlsMode: "STRICT" } }));
console.log(`load average ${(await import("node:os")).loadavg().map((l) => l.toFixed(1)).join(" / ")}; ${N} services, 100 proxies, ${SCOPED ? `a Sidecar per service (${CALLEES} callees)` : "no egress scoping"}`);
for (let round = 0; round < 3; round++) {
  let t = cpu();
  const compiler = new MeshCompiler({ resources, catalog: { services } });
  const ctor = cpu() - t; t = cpu();
  const keys = proxies.map((p) => compiler.inputKey(p));
  const keyMs = cpu() - t; t = cpu();
  for (const p of proxies) compiler.compile(p);
  const compMs = cpu() - t; t = cpu();
  for (const p of proxies.slice(0, 5)) compileProxyConfig({ resources, catalog: { services }, ...p });
  const alone = (cpu() - t) / 5;
  console.log(`${SCOPED ? "scoped" : "unscoped"} round ${round + 1}${round === 0 ? " (cold)" : ""}: snapshot parse+index ${ctor.toFixed(0)} ms CPU; 100 input keys ${keyMs.toFixed(0)} ms; 100 compiles ${compMs.toFixed(0)} ms (${(compMs / 100).toFixed(2)} ms each, ${compiler.stats.outboundParts} outbound parts); compileProxyConfig alone ${alone.toFixed(1)} ms per proxy`);
}
