// Kubernetes mode end to end, without a cluster: the agent against the fake
// API server (list/watch + TokenReviews) through the real
// @kubernetes/client-node, an in-memory manager (config stream, acks, the
// identity procedures), and an in-process weft-proxy whose pull client talks
// to the agent's sidecar API over real HTTPS on loopback.
import { createServer, type Server } from "node:http";
import { request } from "node:https";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { createTrustBundle, createWorkloadCsr, splitPemCertificates, validateSvidChain } from "@weft/identity";
import type { ClusterConfig } from "@weft/mesh-model";
import { PullConfigSource, WeftProxy } from "@weft/proxy";
import { generate } from "selfsigned";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type RunningAgent } from "../src/agent.ts";
import type { AgentConfig } from "../src/config.ts";
import { InMemoryIdentityManager } from "../src/identity/in-memory-identity-manager.ts";
import { MemoryLogger } from "../src/logger.ts";
import { InMemoryConfigSource, InMemoryReporter } from "../src/sync/in-memory-manager.ts";
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
      telemetryIntervalSeconds: 10,
      proxyImage: "ghcr.io/weft-mesh/weft-proxy:0.1.0",
      webhookPort: 0,
      webhookCertFile: join(dir, "tls.crt"),
      webhookKeyFile: join(dir, "tls.key"),
      sidecarApiPort: 0,
      svidTtlSeconds: 3600,
    };
    agent = await startAgent(config, { logger, reporter: new InMemoryReporter(), configSource: source, identityManager: manager, kubeConfig, sidecarPollMs: 2000, sidecarLayout: layout });

    // The sidecar as injected: up on its bootstrap config, then following the agent.
    proxy = await WeftProxy.start({
      version: "bootstrap",
      node: { service: "reviews", namespace: "shop", locality: { cluster: "east" } },
      listeners: [
        { kind: "outbound", name: "outbound", address: "127.0.0.1", port: layout.outbound },
        { kind: "admin", name: "admin", address: "127.0.0.1", port: layout.admin },
      ],
    });
    pull = new PullConfigSource(proxy, { url: `https://127.0.0.1:${agent.sidecarApiPort}`, tokenFile: join(dir, "token"), caPem: ca, namespace: "shop", pod: "reviews-1", identityDir: identityDir(), logger, waitSeconds: 2, retryInitialMs: 50, retryMaxMs: 500 });
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
});
