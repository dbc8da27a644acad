import type { V1Pod, V1Service, V1ServicePort } from "@kubernetes/client-node";
import type { ClusterConfig, Resource } from "@weft/mesh-model";
import { compileProxyConfig } from "@weft/mesh-model/compiler";
import { describe, expect, it } from "vitest";
import { kubeToCatalog } from "../kubernetes/kube-catalog.ts";
import { PROXY_PORTS } from "../webhook/sidecar-injection.ts";
import { servicePortServing, sidecarCompileInput, sidecarPodOf, sidecarProxyInput, targetPortOn } from "./sidecar-inputs.ts";

// A Service `reviews` (port 80 → targetPort 8080 unless told), pods listening on 8080, as the API server holds them.
const containerPorts = [{ name: "web", containerPort: 8080, protocol: "TCP" }];
const pod = (name: string, ip: string, ports: { name?: string; containerPort: number; protocol?: string }[] = containerPorts, injected = true): V1Pod => ({
  metadata: { name, namespace: "shop", uid: `uid-${name}`, labels: { app: name.replace(/-\d+$/, ""), version: "v1" }, annotations: injected ? { "weft.io/injected": "true" } : {} },
  spec: { serviceAccountName: name.replace(/-\d+$/, ""), containers: [{ name: "app", image: "app", ports }] },
  status: { phase: "Running", podIP: ip },
});
const service = (name: string, ports: V1ServicePort[]): V1Service => ({ metadata: { name, namespace: "shop" }, spec: { ports } });
// What the EndpointSlice controller writes: each Service port's name, with the target port it resolved for the pods.
const slice = (svc: string, pods: V1Pod[], ports: { name: string; port: number }[]) => ({
  metadata: { name: `${svc}-abc`, namespace: "shop", labels: { "kubernetes.io/service-name": svc } },
  addressType: "IPv4",
  endpoints: pods.map((p) => ({ addresses: [p.status!.podIP!], conditions: { ready: true }, targetRef: { kind: "Pod", name: p.metadata!.name! } })),
  ports: ports.map((p) => ({ ...p, protocol: "TCP" })),
});

const reviewsPort: V1ServicePort = { name: "http", port: 80, targetPort: 8080 as never, protocol: "TCP" };
const reviews = service("reviews", [reviewsPort]);
const [reviews1, caller] = [pod("reviews-1", "10.0.0.1"), pod("productpage-1", "10.0.0.9", [{ containerPort: 9080 }])];
const legacy = pod("reviews-2", "10.0.0.2", containerPorts, false);
const productpage = service("productpage", [{ name: "http", port: 9080, protocol: "TCP" }]);

const snapshot = kubeToCatalog({
  namespaces: [{ metadata: { name: "shop", labels: { "weft.io/mesh": "enabled" } } }],
  services: [reviews, productpage],
  endpointSlices: [slice("reviews", [reviews1, legacy], [{ name: "http", port: 8080 }]), slice("productpage", [caller], [{ name: "http", port: 9080 }])],
  pods: [reviews1, legacy, caller],
});
const pods = new Map([reviews1, legacy, caller].map((p) => [p.metadata!.name!, p]));
const services = new Map([reviews, productpage].map((s) => [s.metadata!.name!, s]));
const sources = (resources: Resource[] = []) => ({
  snapshot,
  cluster: "east",
  config: { cluster: "east", configVersion: "1", catalogVersion: "1", mesh: { trustDomain: "mesh.test", mtlsMode: "PERMISSIVE" }, trust: null, resources, catalog: [] } as ClusterConfig,
  podOf: (_namespace: string, name: string) => pods.get(name),
  serviceOf: (_namespace: string, name: string) => services.get(name),
  svid: undefined,
});

describe("a Kubernetes Service port reaches the pod's targetPort, as Kubernetes resolves it", () => {
  it("port 80 → targetPort 8080: the sidecar fronts 8080 and serves service port 80", () => {
    expect(targetPortOn(reviews1, reviewsPort)).toBe(8080);
    expect(sidecarProxyInput({ ...sources(), pod: sidecarPodOf(reviews1) }).workload.appPorts).toEqual([{ port: 8080, servicePort: 80, protocol: "HTTP" }]);
  });

  it("a named targetPort resolves through the pod's container port of that name and protocol", () => {
    const named: V1ServicePort = { name: "http", port: 80, targetPort: "web" as never, protocol: "TCP" };
    expect(targetPortOn(reviews1, named)).toBe(8080);
    // Another pod of the service names another port "web": Kubernetes resolves per pod.
    expect(targetPortOn(pod("reviews-3", "10.0.0.3", [{ name: "web", containerPort: 8081 }]), named)).toBe(8081);
    expect(servicePortServing(pod("reviews-3", "10.0.0.3", [{ name: "web", containerPort: 8081 }]), service("reviews", [named]), 8081)?.port).toBe(80);
    // A name no container port carries (or of another protocol) reaches nothing.
    expect(targetPortOn(reviews1, { ...named, targetPort: "admin" as never })).toBeUndefined();
    expect(targetPortOn(pod("udp-1", "10.0.0.4", [{ name: "web", containerPort: 8080, protocol: "UDP" }]), named)).toBeUndefined();
    // No targetPort: the API server's default, the service port itself.
    expect(targetPortOn(reviews1, { port: 8080 })).toBe(8080);
  });

  it("a Service with two ports: the sidecar's app port serves the Service port that targets it", () => {
    const two = service("reviews", [
      { name: "http", port: 80, targetPort: "web" as never, protocol: "TCP" },
      { name: "metrics", port: 9090, targetPort: 9091 as never, protocol: "TCP" },
    ]);
    const both = pod("reviews-4", "10.0.0.4", [{ name: "web", containerPort: 8080 }, { name: "metrics", containerPort: 9091 }]);
    expect(servicePortServing(both, two, 8080)?.port).toBe(80);
    expect(servicePortServing(both, two, 9091)?.port).toBe(9090);
    // The sidecar fronts the first TCP container port (as its bootstrap config does); here the metrics port comes first.
    const metricsFirst = pod("reviews-5", "10.0.0.5", [{ name: "metrics", containerPort: 9091 }, { name: "web", containerPort: 8080 }]);
    const input = (p: V1Pod) => sidecarProxyInput({ ...sources(), serviceOf: () => two, pod: sidecarPodOf(p) }).workload.appPorts;
    expect(input(both)).toEqual([{ port: 8080, servicePort: 80, protocol: "HTTP" }]);
    // Not in the catalog yet: the protocol is the serving Service port's (its name), not the container port's.
    expect(input(metricsFirst)).toEqual([{ port: 9091, servicePort: 9090, protocol: "TCP" }]);
  });

  it("a port the Service serves as itself (port = targetPort), or an unknown Service, adds no servicePort", () => {
    expect(sidecarProxyInput({ ...sources(), pod: sidecarPodOf(caller) }).workload.appPorts).toEqual([{ port: 9080, protocol: "HTTP" }]);
    expect(sidecarProxyInput({ ...sources(), serviceOf: () => undefined, pod: sidecarPodOf(reviews1) }).workload.appPorts).toEqual([{ port: 8080, protocol: "HTTP" }]);
  });
});

describe("the compiled sidecars: policies name port 80, traffic reaches 8080", () => {
  const make = (kind: string, name: string, spec: unknown) => ({ apiVersion: "weft.io/v1alpha1", kind, metadata: { name, namespace: "shop" }, spec }) as unknown as Resource;
  const limited = make("TrafficPolicy", "limit", { targetRef: { name: "reviews", port: 80 }, rateLimits: { local: [{ name: "per-user", key: { type: "Header", header: "x-user" }, tokenBucket: { requests: 1, per: "1s" } }] } });
  const deny = make("AuthorizationPolicy", "deny", { targetRef: { name: "reviews", ports: [80] }, action: "DENY", rules: [{ to: { paths: ["/admin"] } }] });

  it("a rate limit and an AuthorizationPolicy on port 80 apply on the sidecar of a pod listening on 8080", () => {
    const result = compileProxyConfig(sidecarCompileInput({ ...sources([limited, deny]), pod: sidecarPodOf(reviews1) }));
    expect(result.config.listeners.find((l) => l.kind === "inbound")).toMatchObject({ port: PROXY_PORTS.inbound, app: { port: 8080 } });
    expect(result.config.rateLimits?.local.map((l) => l.name)).toEqual(["per-user"]);
    // The proxy checks the port the request is forwarded to: the app's.
    expect(result.config.authorization?.policies.map((p) => [p.name, p.ports])).toEqual([["deny", [8080]]]);
    expect(result.diagnostics.map((d) => d.code)).not.toContain("unknown_port");
  });

  it("callers address reviews on port 80: a meshed pod at its sidecar's inbound port, a pod without one at 8080", () => {
    const result = compileProxyConfig(sidecarCompileInput({ ...sources([limited, deny]), pod: sidecarPodOf(caller) }));
    const backend = result.config.backends.find((b) => b.name === "reviews.shop:80");
    expect(backend?.endpoints.map((e) => `${e.address}:${e.port}`).sort()).toEqual([`10.0.0.1:${PROXY_PORTS.inbound}`, "10.0.0.2:8080"]);
    expect(result.config.backends.map((b) => b.name)).not.toContain("reviews.shop:8080");
  });
});

describe("callers of a two-port Service reach each port's target port on pods without a sidecar", () => {
  it("each Service port maps to its own target port, whichever port the EndpointSlice lists first", () => {
    const two = service("reviews", [
      { name: "http", port: 80, targetPort: "web" as never, protocol: "TCP" },
      { name: "http-admin", port: 81, targetPort: 10001 as never, protocol: "TCP" },
    ]);
    const plain = pod("reviews-6", "10.0.0.6", [{ name: "web", containerPort: 9000 }, { name: "admin", containerPort: 10001 }], false);
    const twoPorts = kubeToCatalog({
      namespaces: [{ metadata: { name: "shop", labels: { "weft.io/mesh": "enabled" } } }],
      services: [two, productpage],
      endpointSlices: [slice("reviews", [plain], [{ name: "http-admin", port: 10001 }, { name: "http", port: 9000 }]), slice("productpage", [caller], [{ name: "http", port: 9080 }])],
      pods: [plain, caller],
    });
    const all = new Map([plain, caller].map((p) => [p.metadata!.name!, p]));
    const result = compileProxyConfig(sidecarCompileInput({ ...sources(), snapshot: twoPorts, podOf: (_n, name) => all.get(name), serviceOf: (_n, name) => (name === "reviews" ? two : productpage), pod: sidecarPodOf(caller) }));
    const at = (name: string) => result.config.backends.find((b) => b.name === name)?.endpoints.map((e) => `${e.address}:${e.port}`);
    // The slice lists 10001 first; port 80 still goes to its own target port, 9000.
    expect(at("reviews.shop:80")).toEqual(["10.0.0.6:9000"]);
    expect(result.diagnostics.map((d) => d.code)).not.toContain("unknown_endpoint_port");
    // The catalog maps both ports; the outbound listener serves one HTTP port by host name (81 needs options.localPorts).
    const reviewsEntry = sidecarCompileInput({ ...sources(), snapshot: twoPorts, podOf: (_n, name) => all.get(name), serviceOf: () => two, pod: sidecarPodOf(caller) }).catalog?.services?.find((s) => s.name === "reviews");
    expect(reviewsEntry?.endpoints?.map((e) => e.ports)).toEqual([{ http: 9000, "http-admin": 10001 }]);
  });
});
