// Kubernetes mode end to end, without a cluster: the agent against the fake
// API server (list/watch + TokenReviews) through the real
// @kubernetes/client-node, an in-memory manager (config stream, acks, the
// identity procedures), and an in-process weft-proxy whose pull client talks
// to the agent's sidecar API over real HTTPS on loopback, pushing its
// telemetry and spans there and reporting the trust bundle it runs.
import { createServer, request as httpRequest, type Server } from "node:http";
import { request } from "node:https";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { bundleFingerprint, createTrustBundle, createWorkloadCsr, splitPemCertificates, validateSvidChain } from "@weft/identity";
import type { ClusterConfig, EdgeDelta, SpanReport, WireSpan } from "@weft/mesh-model";
import { LatencySketch } from "@weft/mesh-model/proxy-config";
import { PullConfigSource, WeftProxy } from "@weft/proxy";
import { generate } from "selfsigned";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type RunningAgent, type TelemetrySink } from "../src/agent.ts";
import type { AgentConfig } from "../src/config.ts";
import { InMemoryIdentityManager } from "../src/identity/in-memory-identity-manager.ts";
import { MemoryLogger } from "../src/logger.ts";
import { InMemoryConfigSource, InMemoryReporter } from "../src/manager-link/in-memory-manager.ts";
import { FakeKubeApi, type KubeObject } from "./fake-kube-api.ts";
import { freePort } from "./free-port.ts";
import { waitFor } from "./wait-for.ts";

const TD = "mesh.test";
const ns: KubeObject = { metadata: { name: "shop", labels: { "weft.io/mesh": "enabled" } } };
const service = (name: string): KubeObject => ({ metadata: { name, namespace: "shop" }, spec: { type: "ClusterIP", ports: [{ name: "http", port: 9080, protocol: "TCP" }] } });
const pod = (name: string, sa: string, appPort: number): KubeObject => ({
  metadata: { name, namespace: "shop", uid: `uid-${name}`, labels: { app: name.split("-")[0]!, version: "v1" }, annotations: { "weft.io/injected": "true" } },
  spec: { serviceAccountName: sa, containers: [{ name: "app", image: "app", ports: [{ containerPort: appPort, protocol: "TCP" }] }] },
  status: { phase: "Running", podIP: "127.0.0.1" },
});
const slice = (svc: string, podName: string, port: number): KubeObject => ({
  metadata: { name: `${svc}-abc`, namespace: "shop", labels: { "kubernetes.io/service-name": svc } },
  addressType: "IPv4",
  ports: [{ name: "http", port, protocol: "TCP", appProtocol: "http" }],
  endpoints: [{ addresses: ["127.0.0.1"], conditions: { ready: true }, targetRef: { kind: "Pod", name: podName, namespace: "shop" } }],
});

describe("injected sidecars pull their config and SVID from the agent (Kubernetes mode)", { timeout: 60_000 }, () => {
  let dir: string;
  let api: FakeKubeApi;
  let agent: RunningAgent;
  let manager: InMemoryIdentityManager;
  let app: Server;
  let proxy: WeftProxy;
  let pull: PullConfigSource;
  let ca: string;
  const source = new InMemoryConfigSource();
  const logger = new MemoryLogger();
  const layout = { outbound: 0, inbound: 0, admin: 0, address: "127.0.0.1" };
  const tokens = { reviews: "", ratings: "", wrongAudience: "" };
  let version = 0;

  /** The manager's telemetry procedures: every edge delta and span the agent shipped. */
  const shipped = { edges: [] as EdgeDelta[], seqs: [] as number[], spans: [] as WireSpan[] };
  const sink: TelemetrySink = {
    reportTelemetry: async ({ seq, edges }) => {
      // The manager applies a seq once (the shipper's retry dedupe): so does this stand-in.
      if (shipped.seqs.includes(seq)) return;
      shipped.seqs.push(seq);
      shipped.edges.push(...edges);
    },
    reportSpans: async (report: SpanReport) => {
      shipped.spans.push(...report.spans);
      return { stored: report.spans.length, duplicates: 0 };
    },
  };
  /** Requests shipped for edges matching `match`. */
  const shippedRequests = (match: (e: EdgeDelta) => boolean) => shipped.edges.filter(match).reduce((n, e) => n + e.requests, 0);
  const agentStatus = async () => (await (await fetch(`http://127.0.0.1:${agent.adminPort}/status`)).json()) as {
    identity: { bundle: { version: string; ackedVersion: string | null; proxies: { total: number; current: number } } | null };
    sidecarApi: { sidecars: { pod: string; identity: { trustBundleFingerprint: string } | null }[] };
  };

  const publish = (change: Partial<ClusterConfig> = {}) => {
    version++;
    const config: ClusterConfig = { cluster: "east", configVersion: String(version), catalogVersion: "1", mesh: { trustDomain: TD, mtlsMode: "STRICT" }, trust: manager.trust(), resources: [], catalog: [], ...change };
    source.publish({ eventId: String(version), config });
    return config.configVersion;
  };
  const lastAck = () => source.acks.at(-1);
  const identityDir = () => join(dir, "pod", "identity");

  /** A request to the sidecar API as a pod would make it, verifying the agent's certificate. */
  function call(method: string, path: string, token: string | undefined, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        { host: "127.0.0.1", port: agent.sidecarApiPort, path, method, ca, agent: false, headers: { ...(token && { authorization: `Bearer ${token}` }), ...(payload && { "content-type": "application/json" }) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
          });
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "weft-sidecar-pull-"));
    manager = await InMemoryIdentityManager.withCa(TD, "east");
    app = createServer((_req, res) => res.end("reviews"));
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    const appPort = (app.address() as { port: number }).port;
    layout.outbound = await freePort();
    layout.inbound = await freePort();
    layout.admin = await freePort();

    api = await FakeKubeApi.start();
    api.apply("namespaces", ns);
    for (const s of ["reviews", "ratings"]) api.apply("services", service(s));
    api.apply("pods", pod("reviews-1", "reviews", appPort));
    api.apply("pods", pod("ratings-1", "ratings", 9080));
    api.apply("endpointSlices", slice("reviews", "reviews-1", appPort));
    api.apply("endpointSlices", slice("ratings", "ratings-1", 9080));
    tokens.reviews = api.issueToken({ namespace: "shop", serviceAccount: "reviews", pod: "reviews-1", podUid: "uid-reviews-1", audiences: ["weft-agent"] });
    tokens.ratings = api.issueToken({ namespace: "shop", serviceAccount: "ratings", pod: "ratings-1", podUid: "uid-ratings-1", audiences: ["weft-agent"] });
    tokens.wrongAudience = api.issueToken({ namespace: "shop", serviceAccount: "reviews", pod: "reviews-1", podUid: "uid-reviews-1", audiences: ["https://kubernetes.default.svc"] });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: "fake", server: api.url, skipTLSVerify: true }],
      users: [{ name: "agent", token: "agent-token" }],
      contexts: [{ name: "fake", cluster: "fake", user: "agent" }],
      currentContext: "fake",
    });

    // The webhook's serving certificate (throwaway, valid for 127.0.0.1) also serves the sidecar API.
    const pems = await generate([{ name: "commonName", value: "weft-agent.weft-system.svc" }], {
      keyType: "ec",
      curve: "P-256",
      notAfterDate: new Date(Date.now() + 3600 * 1000),
      extensions: [
        { name: "basicConstraints", cA: false },
        { name: "subjectAltName", altNames: [{ type: 2, value: "weft-agent.weft-system.svc" }, { type: 7, ip: "127.0.0.1" }] },
      ],
    });
    ca = pems.cert;
    await writeFile(join(dir, "tls.crt"), pems.cert);
    await writeFile(join(dir, "tls.key"), pems.private, { mode: 0o600 });
    await writeFile(join(dir, "token"), tokens.reviews);

    publish();
    const config: AgentConfig = {
      manager: "http://127.0.0.1:1",
      mode: "kubernetes",
      universalFile: "unused.yaml",
      stateDir: join(dir, "state"),
      adminPort: 0,
      logLevel: "info",
      cluster: "east",
      fullResyncSeconds: 300,
      telemetryIntervalSeconds: 0.2,
      proxyImage: "ghcr.io/weft-mesh/weft-proxy:0.1.0",
      webhookPort: 0,
      webhookCertFile: join(dir, "tls.crt"),
      webhookKeyFile: join(dir, "tls.key"),
      sidecarApiPort: 0,
      svidTtlSeconds: 3600,
    };
    agent = await startAgent(config, { logger, reporter: new InMemoryReporter(), configSource: source, identityManager: manager, kubeConfig, sidecarPollMs: 2000, sidecarLayout: layout, telemetrySink: sink });

    // The sidecar as injected: up on its bootstrap config, then following the agent.
    proxy = await WeftProxy.start({
      version: "bootstrap",
      node: { service: "reviews", namespace: "shop", locality: { cluster: "east" } },
      listeners: [
        { kind: "outbound", name: "outbound", address: "127.0.0.1", port: layout.outbound },
        { kind: "admin", name: "admin", address: "127.0.0.1", port: layout.admin },
      ],
    });
    pull = new PullConfigSource(proxy, { url: `https://127.0.0.1:${agent.sidecarApiPort}`, tokenFile: join(dir, "token"), caPem: ca, namespace: "shop", pod: "reviews-1", identityDir: identityDir(), logger, waitSeconds: 2, retryInitialMs: 50, retryMaxMs: 500, telemetry: proxy, pushIntervalMs: 200 });
    pull.start();
  }, 60_000);

  afterAll(async () => {
    await pull?.stop();
    await proxy?.close({ drainMs: 0 });
    await agent?.stop();
    await api?.close();
    app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("the sidecar replaces its bootstrap with the config compiled for its pod, gets an SVID from its CSR, and the manager hears it applied", async () => {
    // mTLS on: the config names the SVID the sidecar wrote itself.
    await waitFor(() => proxy.config?.identity?.svid.source === "file", "the sidecar to run a config with its SVID", 20_000);
    const config = proxy.config!;
    expect(config.version).toMatch(/-pod$/);
    expect(config.node).toMatchObject({ service: "reviews", namespace: "shop", version: "v1", locality: { cluster: "east" } });
    expect(config.listeners.find((l) => l.kind === "inbound")).toMatchObject({ port: layout.inbound, app: { port: (app.address() as { port: number }).port }, mtlsMode: "STRICT" });
    expect(config.virtualHosts.map((v) => v.domains).flat()).toEqual(expect.arrayContaining(["ratings.shop.svc.cluster.local"]));
    expect(config.identity).toMatchObject({ svid: { source: "file", certChainPath: join(identityDir(), "cert.pem"), keyPath: join(identityDir(), "key.pem") }, trustBundle: { source: "inline" } });

    // The SVID chains to the mesh's bundle and names the pod's service account; its key was made in the "pod" (0600).
    const [leaf, ...chain] = splitPemCertificates(await readFile(join(identityDir(), "cert.pem"), "utf8"));
    expect(validateSvidChain(leaf!, chain, createTrustBundle(TD, manager.trust().rootsPem))).toMatchObject({ ok: true, spiffeId: `spiffe://${TD}/ns/shop/sa/reviews` });
    expect((await stat(join(identityDir(), "key.pem"))).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(logger.entries)).not.toContain("PRIVATE KEY");

    const ack = await waitFor(() => (lastAck()?.proxies.some((p) => p.proxy === "shop/reviews-1") ? lastAck() : undefined), "the cluster's ack to name the sidecar");
    expect(ack).toMatchObject({ configVersion: String(version), status: "applied", proxies: [{ proxy: "shop/reviews-1", status: "applied" }] });
    // The signed certificate is in the inventory the manager gets.
    await waitFor(() => manager.reports.at(-1)?.some((c) => c.spiffeId === `spiffe://${TD}/ns/shop/sa/reviews`), "the certificate inventory to list the sidecar's SVID");
  });

  it("a Kubernetes change and a manager change both reach the running sidecar", async () => {
    api.apply("services", service("details"));
    await waitFor(() => proxy.config?.virtualHosts.some((v) => v.domains.includes("details.shop.svc.cluster.local")), "the new Service to reach the sidecar", 10_000);

    const before = proxy.version;
    const next = publish({ mesh: { trustDomain: TD, mtlsMode: "PERMISSIVE" } });
    await waitFor(() => proxy.config?.listeners.find((l) => l.kind === "inbound" && l.mtlsMode === "PERMISSIVE"), "the PERMISSIVE mode to reach the sidecar", 10_000);
    expect(proxy.version).not.toBe(before);
    await waitFor(() => lastAck()?.configVersion === next && lastAck()?.status === "applied", "the manager to hear the new version applied");
  });

  it("a config the sidecar refuses is reported rejected while the previous one keeps serving", async () => {
    const serving = proxy.version;
    // A corrupt root: the compiler passes it on, the proxy's identity check refuses it.
    const broken = publish({ trust: { ...manager.trust(), rootsPem: ["-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"] } });
    const ack = await waitFor(() => (lastAck()?.configVersion === broken && lastAck()?.status === "rejected" ? lastAck() : undefined), "the manager to hear the sidecar refused", 10_000);
    expect(ack!.reason).toContain("shop/reviews-1");
    expect(ack!.proxies).toEqual([expect.objectContaining({ proxy: "shop/reviews-1", status: "rejected", reason: expect.stringContaining("trust bundle") })]);
    expect(proxy.version).toBe(serving);
    expect((await fetch(`http://127.0.0.1:${layout.admin}/ready`)).status).toBe(200);

    const fixed = publish();
    await waitFor(() => lastAck()?.configVersion === fixed && lastAck()?.status === "applied", "the next good config to be applied", 10_000);
  });

  it("a pod's token gets only its own config and only its own service account's SVID", async () => {
    const ratingsConfig = "/v1/proxy-config?namespace=shop&pod=ratings-1";
    expect((await call("GET", ratingsConfig, tokens.ratings)).status).toBe(200);
    const stolen = await call("GET", ratingsConfig, tokens.reviews);
    expect(stolen).toMatchObject({ status: 403, body: { error: expect.stringContaining("the token belongs to pod reviews-1, not ratings-1") } });
    expect((await call("GET", "/v1/proxy-config?namespace=payments&pod=reviews-1", tokens.reviews)).status).toBe(403);
    expect((await call("GET", ratingsConfig, undefined)).status).toBe(401);
    expect(await call("GET", ratingsConfig, tokens.wrongAudience)).toMatchObject({ status: 401, body: { error: expect.stringContaining("audiences") } });
    expect(await call("GET", "/v1/proxy-config?namespace=shop", tokens.reviews)).toMatchObject({ status: 400, body: { error: expect.stringContaining("pod") } });

    // A CSR for another service account, with a valid token of this pod: refused.
    const foreign = await createWorkloadCsr({ spiffeId: `spiffe://${TD}/ns/shop/sa/ratings` });
    const refused = await call("POST", "/v1/svid", tokens.reviews, { namespace: "shop", pod: "reviews-1", csrPem: foreign.csrPem });
    expect(refused).toMatchObject({ status: 403, body: { error: expect.stringContaining(`spiffe://${TD}/ns/shop/sa/reviews`) } });
    // Nor for another pod's name.
    const own = await createWorkloadCsr({ spiffeId: `spiffe://${TD}/ns/shop/sa/reviews` });
    expect((await call("POST", "/v1/svid", tokens.reviews, { namespace: "shop", pod: "ratings-1", csrPem: own.csrPem })).status).toBe(403);
    expect(await call("POST", "/v1/svid", tokens.reviews, { namespace: "shop", pod: "reviews-1", csrPem: own.csrPem })).toMatchObject({ status: 200, body: { spiffeId: `spiffe://${TD}/ns/shop/sa/reviews` } });
  });

  /** One request through the sidecar's outbound listener, as the app would make it. */
  const viaSidecar = (host: string, headers: Record<string, string> = {}) =>
    new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port: layout.outbound, path: "/", headers: { host, ...headers }, agent: false }, (res) => res.resume().on("end", () => resolve(res.statusCode ?? 0)));
      req.on("error", reject);
      req.end();
    });
  const sketchOf = (n: number) => {
    const s = new LatencySketch();
    for (let i = 0; i < n; i++) s.add(0.01);
    return s.toJSON();
  };
  const edge = (labels: Record<string, string>, count: number) => ({
    labels: { source_service: "ratings", source_version: "v1", source_cluster: "east", destination_service: "details", destination_version: "v1", destination_cluster: "east", response_code: "200", response_flags: "-", grpc_status: "", source_identity: "", mtls: "false", ...labels },
    count,
    sketch: sketchOf(count),
  });

  it("the sidecar pushes its requests and spans; the agent ships them labelled with the pod's workload", async () => {
    const trace = "5bf92f3577b34da6a3ce929d0e0e4736";
    const before = shippedRequests((e) => e.source.service === "reviews" && e.destination.service === "reviews");
    for (let i = 0; i < 6; i++) expect(await viaSidecar("reviews.shop.svc.cluster.local", { traceparent: `00-${trace}-00f067aa0ba902b${i}-01` })).toBe(200);
    await waitFor(() => shippedRequests((e) => e.source.service === "reviews" && e.destination.service === "reviews") - before === 6, "the 6 requests to be shipped", 10_000);
    const edges = shipped.edges.filter((e) => e.source.service === "reviews" && e.destination.service === "reviews");
    expect(edges[0]).toMatchObject({ source: { cluster: "east", namespace: "shop", service: "reviews", version: "v1" }, destination: { namespace: "shop", service: "reviews" }, codeClass: "2xx" });
    // The caller's (CLIENT) and the callee's (SERVER) hop of each request, both recorded by this sidecar.
    await waitFor(() => shipped.spans.filter((s) => s.traceId === trace).length === 12, "12 spans of the trace to be shipped", 10_000);
    const spans = shipped.spans.filter((s) => s.traceId === trace);
    expect(spans.filter((s) => s.kind === "CLIENT")).toEqual(Array.from({ length: 6 }, () => expect.objectContaining({ namespace: "shop", service: "reviews", version: "v1", peerService: "shop/reviews", statusCode: 200 })));
    // Nothing more arrives later: every request was shipped once.
    await new Promise((r) => setTimeout(r, 800));
    expect(shippedRequests((e) => e.source.service === "reviews" && e.destination.service === "reviews") - before).toBe(6);
    expect(shipped.spans.filter((s) => s.traceId === trace)).toHaveLength(12);
  });

  it("a push resent after a lost answer is applied once; the workload comes from the token, never from the body", async () => {
    const toDetails = (e: EdgeDelta) => e.source.service === "ratings" && e.destination.service === "details";
    const batch = { namespace: "shop", pod: "ratings-1", collectedAt: new Date().toISOString() };
    const first = { ...batch, batch: { instance: "0123456789abcdef", seq: 1 }, edges: [edge({ source_version: "forged" }, 7)] };
    expect(await call("POST", "/v1/telemetry", tokens.ratings, first)).toMatchObject({ status: 200, body: { duplicate: false } });
    // The answer was lost: the sidecar sends the same batch again.
    expect(await call("POST", "/v1/telemetry", tokens.ratings, first)).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(await call("POST", "/v1/telemetry", tokens.ratings, { ...batch, batch: { instance: "0123456789abcdef", seq: 2 }, edges: [edge({}, 3)] })).toMatchObject({ status: 200, body: { duplicate: false } });
    // The same seq from a restarted sidecar (another instance) is new data.
    expect(await call("POST", "/v1/telemetry", tokens.ratings, { ...batch, batch: { instance: "fedcba9876543210", seq: 1 }, edges: [edge({}, 1)] })).toMatchObject({ status: 200, body: { duplicate: false } });
    await waitFor(() => shippedRequests(toDetails) === 11, "7 + 3 + 1 requests shipped", 5000);
    await new Promise((r) => setTimeout(r, 800));
    expect(shippedRequests(toDetails)).toBe(11);
    expect(shipped.edges.filter(toDetails).every((e) => e.source.version === "v1" && e.source.namespace === "shop" && e.source.cluster === "east")).toBe(true);

    // Malformed pushes are refused with the field named, before anything is taken.
    const bad = await call("POST", "/v1/telemetry", tokens.ratings, { ...batch, batch: { instance: "0123456789abcdef", seq: 3 }, edges: [{ ...edge({}, 2), count: -1 }] });
    expect(bad).toMatchObject({ status: 400, body: { error: expect.stringContaining("edges.0.count") } });
  });

  it("a pod's token cannot push telemetry or spans as another pod", async () => {
    const impostor = (e: EdgeDelta) => e.destination.service === "impostor";
    const push = { namespace: "shop", pod: "ratings-1", collectedAt: new Date().toISOString(), batch: { instance: "aaaaaaaaaaaaaaaa", seq: 1 }, edges: [edge({ destination_service: "impostor" }, 5)] };
    expect(await call("POST", "/v1/telemetry", tokens.reviews, push)).toMatchObject({ status: 403, body: { error: expect.stringContaining("the token belongs to pod reviews-1, not ratings-1") } });
    const span = { seq: 1, traceId: "6bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", parentSpanId: null, name: "GET impostor", kind: "client", startTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n), durationMs: 1, error: false, attributes: {} };
    expect((await call("POST", "/v1/spans", tokens.reviews, { namespace: "shop", pod: "ratings-1", batch: { instance: "aaaaaaaaaaaaaaaa", seq: 1 }, dropped: 0, spans: [span] })).status).toBe(403);
    expect((await call("POST", "/v1/telemetry", undefined, push)).status).toBe(401);
    // Its own pod name, but edges claiming another workload as their source: not shipped as that workload.
    const own = { ...push, pod: "reviews-1", edges: [edge({ source_service: "ratings", destination_service: "impostor" }, 5)] };
    expect((await call("POST", "/v1/telemetry", tokens.reviews, own)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 800));
    expect(shippedRequests(impostor)).toBe(0);
    expect(shipped.spans.some((s) => s.name === "GET impostor")).toBe(false);
  });

  it("a new trust bundle is acknowledged only once every sidecar reports it runs it", async () => {
    await manager.addRoot();
    const fingerprint = bundleFingerprint(createTrustBundle(TD, manager.trust().rootsPem));
    const bundleVersion = manager.trust().bundleVersion;
    publish();
    // The running sidecar takes the new bundle with its config and says so in its ack.
    await waitFor(async () => (await agentStatus()).sidecarApi.sidecars.find((s) => s.pod === "shop/reviews-1")?.identity?.trustBundleFingerprint === fingerprint, "the sidecar to report the new bundle", 15_000);
    expect(proxy.identityInUse()?.trustBundleFingerprint).toBe(fingerprint);
    // ratings-1 is an injected running pod whose sidecar has not reported the new bundle: no acknowledgement yet.
    await new Promise((r) => setTimeout(r, 1500));
    expect(manager.acks.map((a) => a.bundleVersion)).not.toContain(bundleVersion);
    expect((await agentStatus()).identity.bundle).toMatchObject({ version: bundleVersion, ackedVersion: null, proxies: { total: 2, current: 1 } });

    // Its sidecar polls, reporting the new bundle: now the manager hears it.
    const ratings = await call("GET", `/v1/proxy-config?namespace=shop&pod=ratings-1&bundle=${fingerprint}`, tokens.ratings);
    expect(ratings.status).toBe(200);
    const ack = await waitFor(() => manager.acks.find((a) => a.bundleVersion === bundleVersion), "the bundle to be acknowledged", 5000);
    expect(ack!.proxies).toEqual({ total: 2, current: 2 });
  });

  it("a rate limit written against the Service's port 80 applies at the sidecar of a pod listening on its named targetPort", async () => {
    const appPort = (app.address() as { port: number }).port;
    // Callers address port 80; the pod listens on the port its container names "web".
    api.apply("services", { metadata: { name: "reviews", namespace: "shop" }, spec: { type: "ClusterIP", ports: [{ name: "http", port: 80, targetPort: "web", protocol: "TCP" }] } });
    const reviewsPod = pod("reviews-1", "reviews", appPort);
    api.apply("pods", { ...reviewsPod, spec: { serviceAccountName: "reviews", containers: [{ name: "app", image: "app", ports: [{ name: "web", containerPort: appPort, protocol: "TCP" }] }] } });
    const limit = {
      apiVersion: "weft.io/v1alpha1",
      kind: "TrafficPolicy",
      metadata: { name: "reviews-limit", namespace: "shop" },
      spec: { targetRef: { name: "reviews", port: 80 }, rateLimits: { local: [{ name: "per-user", key: { type: "Header", header: "x-user" }, tokenBucket: { requests: 1, per: "60s" } }] } },
    } as unknown as ClusterConfig["resources"][number];
    publish({ resources: [limit] });
    await waitFor(() => proxy.config?.rateLimits?.local.some((l) => l.name === "per-user"), "the rate limit to reach the sidecar", 15_000);
    expect(proxy.config?.listeners.find((l) => l.kind === "inbound")).toMatchObject({ app: { port: appPort } });
    expect(await viaSidecar("reviews.shop.svc.cluster.local", { "x-user": "ann" })).toBe(200);
    expect(await viaSidecar("reviews.shop.svc.cluster.local", { "x-user": "ann" })).toBe(429);
    expect(await viaSidecar("reviews.shop.svc.cluster.local", { "x-user": "bob" })).toBe(200);
  });
});
