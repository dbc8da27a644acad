// The Kubernetes provider through the real @kubernetes/client-node against a
// fake API server on loopback (no real cluster is available here).
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Catalog } from "../src/discovery/catalog.ts";
import { KubernetesProvider } from "../src/kubernetes/kube-provider.ts";
import { MemoryLogger } from "../src/logger.ts";
import { sidecarPodOf, sidecarProxyInput } from "../src/sidecar/sidecar-inputs.ts";
import { FakeKubeApi, type KubeObject } from "./fake-kube-api.ts";
import { waitFor } from "./wait-for.ts";

const ns = (name: string, mesh: boolean): KubeObject => ({ metadata: { name, labels: mesh ? { "weft.io/mesh": "enabled" } : {} } });
const service = (name: string, namespace: string, port = 9080): KubeObject => ({ metadata: { name, namespace }, spec: { type: "ClusterIP", ports: [{ name: "http", port, protocol: "TCP" }, { name: "dns", port: 53, protocol: "UDP" }] } });
const pod = (name: string, namespace: string, version: string, serviceAccount: string): KubeObject => ({
  metadata: { name, namespace, labels: { app: name.split("-")[0]!, version } },
  spec: { serviceAccountName: serviceAccount, nodeName: "node-1", containers: [{ name: "app", image: "app" }] },
  status: { phase: "Running" },
});
interface SliceEndpoint {
  ip: string;
  pod: string;
  ready?: boolean;
  zone?: string;
}
const slice = (name: string, namespace: string, serviceName: string, endpoints: SliceEndpoint[]): KubeObject => ({
  metadata: { name, namespace, labels: { "kubernetes.io/service-name": serviceName } },
  addressType: "IPv4",
  ports: [{ name: "http", port: 8080, protocol: "TCP", appProtocol: "http" }],
  endpoints: endpoints.map((e) => ({
    addresses: [e.ip],
    conditions: e.ready === undefined ? {} : { ready: e.ready },
    targetRef: { kind: "Pod", name: e.pod, namespace },
    ...(e.zone && { zone: e.zone }),
  })),
});

describe("KubernetesProvider (real client library, fake API server)", () => {
  let api: FakeKubeApi;
  let provider: KubernetesProvider;
  const catalog = new Catalog();
  const logger = new MemoryLogger();

  beforeEach(async () => {
    api = await FakeKubeApi.start();
    api.apply("namespaces", ns("shop", true));
    api.apply("namespaces", ns("other", false));
    api.apply("services", service("reviews", "shop"));
    api.apply("services", service("legacy", "other"));
    api.apply("pods", pod("reviews-v1-a", "shop", "v1", "reviews"));
    api.apply("pods", pod("legacy-1", "other", "v1", "default"));
    api.apply("endpointSlices", slice("reviews-abc", "shop", "reviews", [{ ip: "10.1.0.1", pod: "reviews-v1-a", ready: true, zone: "z1" }]));
    api.apply("endpointSlices", slice("legacy-abc", "other", "legacy", [{ ip: "10.9.0.1", pod: "legacy-1" }]));

    // client-node 1.4 refuses plain http unless skipTLSVerify is set
    // ("HTTP protocol is not allowed when skipTLSVerify is not set or false").
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: "fake", server: api.url, skipTLSVerify: true }],
      users: [{ name: "agent", token: "test-token" }],
      contexts: [{ name: "fake", cluster: "fake", user: "agent" }],
      currentContext: "fake",
    });
    catalog.replace({ services: [], workloads: [], endpoints: [] });
    provider = new KubernetesProvider({ kubeConfig, logger, debounceMs: 10, retryInitialMs: 20, retryMaxMs: 100 });
    await provider.start((s) => catalog.replace(s));
  });
  afterEach(async () => {
    await provider.stop();
    await api.close();
  });

  const endpoints = () => catalog.snapshot.endpoints.map((e) => `${e.namespace}/${e.service} ${e.address}:${e.port} ${e.ready ? "ready" : "not-ready"} ${e.version ?? "-"} ${e.zone ?? "-"}`);
  const watching = () => waitFor(() => api.watcherCount() === 4, "all four watches to be open");

  it("lists, then watches from the list's resourceVersion with bookmarks, and maps mesh namespaces only", async () => {
    expect(provider.status()).toMatchObject({ synced: true });
    expect(catalog.snapshot.services).toEqual([{ name: "reviews", namespace: "shop", ports: [{ name: "http", port: 9080, protocol: "http" }], labels: {} }]);
    expect(catalog.snapshot.workloads).toEqual([
      { name: "reviews-v1-a", namespace: "shop", serviceAccount: "reviews", version: "v1", zone: "z1", labels: { app: "reviews", version: "v1" } },
    ]);
    expect(endpoints()).toEqual(["shop/reviews 10.1.0.1:8080 ready v1 z1"]);
    expect(catalog.snapshot.endpoints[0]).toMatchObject({ workload: "reviews-v1-a", protocol: "http" });

    for (const collection of ["namespaces", "services", "pods", "endpointSlices"] as const) {
      const [list, watch] = api.requestsFor(collection);
      expect(list).toMatchObject({ watch: false, status: 200 });
      expect(watch).toMatchObject({ watch: true, resourceVersion: "108", allowWatchBookmarks: "true", status: 200 });
    }
  });

  it("follows ADDED, MODIFIED and DELETED events", async () => {
    await watching();
    // ADDED: a second pod and its endpoint (no ready condition: unknown counts as ready)
    api.apply("pods", pod("reviews-v2-b", "shop", "v2", "reviews"));
    api.apply("endpointSlices", slice("reviews-abc", "shop", "reviews", [{ ip: "10.1.0.1", pod: "reviews-v1-a", ready: true, zone: "z1" }, { ip: "10.1.0.2", pod: "reviews-v2-b", zone: "z2" }]));
    await waitFor(() => endpoints().length === 2, "the v2 endpoint");
    expect(endpoints()).toEqual(["shop/reviews 10.1.0.1:8080 ready v1 z1", "shop/reviews 10.1.0.2:8080 ready v2 z2"]);

    // MODIFIED: v1 turns unready
    api.apply("endpointSlices", slice("reviews-abc", "shop", "reviews", [{ ip: "10.1.0.1", pod: "reviews-v1-a", ready: false, zone: "z1" }, { ip: "10.1.0.2", pod: "reviews-v2-b", zone: "z2" }]));
    await waitFor(() => endpoints()[0]?.includes("not-ready"), "v1 to turn unready");

    // MODIFIED namespace: labelling "other" brings its service into the mesh
    api.apply("namespaces", ns("other", true));
    await waitFor(() => catalog.snapshot.services.some((s) => s.name === "legacy"), "the newly meshed namespace's service");

    // DELETED: the service goes, and its endpoints with it
    api.delete("services", "reviews", "shop");
    await waitFor(() => !catalog.snapshot.services.some((s) => s.name === "reviews"), "reviews to be removed");
    expect(endpoints()).toEqual(["other/legacy 10.9.0.1:8080 ready v1 -"]);
  });

  it("hands a sidecar's compile input the Service port its app port serves: port 80, named targetPort 'web' → container port 8080", async () => {
    await watching();
    api.apply("services", { metadata: { name: "reviews", namespace: "shop" }, spec: { type: "ClusterIP", ports: [{ name: "http", port: 80, targetPort: "web", protocol: "TCP" }] } });
    api.apply("pods", {
      ...pod("reviews-v1-a", "shop", "v1", "reviews"),
      spec: { serviceAccountName: "reviews", containers: [{ name: "app", image: "app", ports: [{ name: "web", containerPort: 8080, protocol: "TCP" }] }] },
    });
    await waitFor(() => catalog.snapshot.services[0]?.ports[0]?.port === 80 && provider.pod("shop", "reviews-v1-a")?.spec?.containers[0]?.ports !== undefined, "the Service on port 80 and the pod's ports");
    const raw = provider.pod("shop", "reviews-v1-a")!;
    const input = sidecarProxyInput({
      snapshot: catalog.snapshot,
      cluster: "east",
      config: undefined,
      podOf: (namespace, name) => provider.pod(namespace, name),
      serviceOf: (namespace, name) => provider.service(namespace, name),
      pod: sidecarPodOf(raw),
      svid: undefined,
    });
    expect(input.workload).toMatchObject({ service: "reviews", appPorts: [{ port: 8080, servicePort: 80, protocol: "HTTP" }] });
    expect(provider.service("shop", "missing")).toBeUndefined();
  });

  it("resumes a closed watch from the last resourceVersion it saw, and from a bookmark's", async () => {
    await watching();
    const pod2 = api.apply("pods", pod("reviews-v2-b", "shop", "v2", "reviews"));
    await waitFor(() => provider.resourceVersions().pods === pod2.metadata.resourceVersion, "the pod event's resourceVersion");

    const listsBefore = api.requests.filter((r) => !r.watch).length;
    api.endWatches();
    await watching();
    const rewatch = api.requestsFor("pods").at(-1);
    expect(rewatch).toMatchObject({ watch: true, resourceVersion: pod2.metadata.resourceVersion });

    // Other collections moved the global version on; a bookmark carries the pods watch forward without any pod event.
    api.apply("services", service("ratings", "shop"));
    const bookmark = api.bookmark("pods");
    await waitFor(() => provider.resourceVersions().pods === bookmark, "the bookmark's resourceVersion");
    api.endWatches();
    await watching();
    expect(api.requestsFor("pods").at(-1)).toMatchObject({ watch: true, resourceVersion: bookmark });
    expect(api.requests.filter((r) => !r.watch).length).toBe(listsBefore);
  });

  it.each(["event", "status"] as const)("relists after 410 Gone (delivered as %s) and catches up with missed changes", async (goneAs) => {
    await watching();
    api.goneAs = goneAs;
    // Changes the watches never see, then compaction: only a relist can find them.
    api.delete("pods", "reviews-v1-a", "shop", { silently: true });
    api.apply("endpointSlices", slice("reviews-abc", "shop", "reviews", [{ ip: "10.1.0.7", pod: "reviews-v3-c", zone: "z3" }]), { silently: true });
    api.apply("pods", pod("reviews-v3-c", "shop", "v3", "reviews-v3"), { silently: true });
    api.compact();
    const podLists = api.requestsFor("pods").filter((r) => !r.watch).length;
    api.endWatches();

    await waitFor(() => endpoints()[0] === "shop/reviews 10.1.0.7:8080 ready v3 z3", "the relisted state");
    expect(catalog.snapshot.workloads.map((w) => `${w.name} ${w.serviceAccount}`)).toEqual(["reviews-v3-c reviews-v3"]);
    expect(api.requestsFor("pods").some((r) => r.status === 410)).toBe(true);
    expect(api.requestsFor("pods").filter((r) => !r.watch).length).toBe(podLists + 1);
    await watching();
    expect(api.requestsFor("pods").at(-1)).toMatchObject({ watch: true, resourceVersion: api.resourceVersion });
  });

  it("resyncs after watch and list errors, and keeps the last view meanwhile", async () => {
    await watching();
    // The watch fails (500); meanwhile a service was created and history compacted,
    // so the retry gets 410, and the relist fails once (503) before it succeeds.
    api.failNext("services", true, 500);
    api.failNext("services", false, 503);
    api.apply("services", service("ratings", "shop"), { silently: true });
    api.compact();
    api.endWatches();
    await waitFor(() => provider.status().lastError?.startsWith("services:"), "the watch error to show in status");
    expect(catalog.snapshot.services.map((s) => s.name)).toEqual(["reviews"]);
    await waitFor(() => catalog.snapshot.services.some((s) => s.name === "ratings"), "the service created during the outage");
    await waitFor(() => provider.status().lastError === undefined, "the error to clear");
    expect(api.requestsFor("services").map((r) => r.status)).toEqual([200, 200, 500, 410, 503, 200, 200]);
    expect(logger.entries.some((e) => e.msg === "kubernetes watch failed; resyncing")).toBe(true);
  });
});
