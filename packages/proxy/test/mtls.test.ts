// mTLS between real proxies on 127.0.0.1 with X.509-SVIDs issued by
// @weft/identity: inbound STRICT / PERMISSIVE, SPIFFE validation of clients
// and servers, identity headers, authorization (checked against the pure
// evaluator) and SVID / root rotation under continuous load.
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evaluateAuthorization, CompiledAuthorizationPolicySchema, type CompiledAuthorizationPolicyInput } from "@weft/mesh-model/authorization";
import type { ProxyConfigInput } from "@weft/mesh-model/proxy-config";
import { parseCertificate, type WorkloadSvid } from "@weft/identity";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { WeftProxy } from "../src/index.ts";
import { backend, port, send, Stack, vhost, type ClientResponse, type Upstream } from "./harness.ts";
import { addCluster, createPki, forgeTwoUriLeaf, id, inlineIdentity, issue, issueExpired, svidTlsCredentials, type Pki } from "./pki.ts";

const API = id("shop", "api");
const WEB = id("shop", "web");
const BATCH = id("shop", "batch");
const ADMIN = id("ops", "admin");

let pki: Pki;
let pki2: Pki;
let foreign: Pki;
const svids: Record<string, WorkloadSvid> = {};

beforeAll(async () => {
  [pki, pki2, foreign] = await Promise.all([createPki("eu-1"), createPki("eu-1"), createPki("eu-1")]);
  const entries = await Promise.all([API, WEB, BATCH, ADMIN].map(async (s) => [s, await issue(pki, s)] as const));
  for (const [s, svid] of entries) svids[s] = svid;
});

const stack = new Stack();
afterEach(() => stack.close());

type Mode = "STRICT" | "PERMISSIVE" | "DISABLE";

function serverConfig(app: Upstream, identity: ProxyConfigInput["identity"], mode: Mode, extra: Partial<ProxyConfigInput> = {}, version = "v1"): ProxyConfigInput {
  return {
    version,
    node: { service: "api", namespace: "shop", locality: { cluster: "eu-1" } },
    listeners: [
      { kind: "inbound", name: "inbound", port: 0, app: { port: app.port }, mtlsMode: mode },
      { kind: "admin", name: "admin", port: 0 },
    ],
    ...(identity ? { identity } : {}),
    ...extra,
  };
}

function clientConfig(svid: WorkloadSvid, targetPort: number, options: { expect?: string[]; roots?: Pki[]; version?: string } = {}): ProxyConfigInput {
  return {
    version: options.version ?? "v1",
    node: { service: "web", namespace: "shop", locality: { cluster: "eu-1" } },
    listeners: [{ kind: "outbound", name: "outbound", port: 0 }],
    virtualHosts: [vhost("api", [{ backendRefs: [{ backend: "api" }] }])],
    backends: [backend("api", [{ port: targetPort }], { namespace: "shop", mtls: { expectedIdentities: options.expect ?? [API] } })],
    identity: inlineIdentity(svid, options.roots ?? [pki]),
  };
}

async function apiServer(mode: Mode, extra: Partial<ProxyConfigInput> = {}) {
  const app = await stack.upstream("api-app");
  const proxy = await stack.proxy(serverConfig(app, inlineIdentity(svids[API] as WorkloadSvid, [pki]), mode, extra));
  return { app, proxy, port: port(proxy, "inbound") };
}

async function callerProxy(svid: WorkloadSvid, targetPort: number, options: { expect?: string[]; roots?: Pki[] } = {}) {
  return stack.proxy(clientConfig(svid, targetPort, options));
}

/** A direct TLS client presenting `creds` to the inbound listener. */
function tlsGet(targetPort: number, creds: { cert: string; key: string }, ca: string): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    const req = httpsRequest({ host: "127.0.0.1", port: targetPort, path: "/", ...creds, ca, agent: false, checkServerIdentity: () => undefined }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end();
  });
}

function refused(proxy: WeftProxy, reason: string): number {
  const line = proxy.metricsText().split("\n").find((l) => l.startsWith("weft_mtls_connections_refused_total{") && l.includes(`reason="${reason}"`));
  return line ? Number(line.split(" ").pop()) : 0;
}

describe("inbound mTLS", () => {
  it("authenticates the calling proxy, hands the app the verified identity and strips client-sent identity headers", async () => {
    const api = await apiServer("STRICT");
    const web = await callerProxy(svids[WEB] as WorkloadSvid, api.port);
    const res = await send({
      port: port(web, "outbound"),
      host: "api",
      path: "/hello",
      headers: { "x-forwarded-client-cert": `URI=${ADMIN}`, "x-weft-peer-identity": ADMIN, "x-weft-request-principal": "forged" },
    });
    expect(res.status).toBe(200);
    const seen = api.app.seen[0]?.headers;
    expect(seen?.["x-forwarded-client-cert"]).toBe(`By=${API};URI=${WEB}`);
    expect(seen?.["x-weft-peer-identity"]).toBe(WEB);
    expect(seen?.["x-weft-request-principal"]).toBeUndefined();
    expect(api.proxy.edges.count({ source_identity: WEB, source_cluster: "eu-1", mtls: "true", destination_service: "api", response_code: "200" })).toBe(1);
    expect(web.edges.count({ source_identity: WEB, mtls: "true", destination_service: "api", response_code: "200" })).toBe(1);
  });

  it("counts the inbound edge under the verified caller's service, version and cluster and its own cluster (peer metadata, issue 12)", async () => {
    const api = await apiServer("PERMISSIVE");
    const web = await stack.proxy({ ...clientConfig(svids[WEB] as WorkloadSvid, api.port), node: { service: "web", version: "v3", namespace: "shop", locality: { cluster: "eu-1" } } });
    // The app cannot speak for its proxy: a value it sets is replaced.
    expect((await send({ port: port(web, "outbound"), host: "api", headers: { "x-weft-peer-metadata": "admin;v9" } })).status).toBe(200);
    expect(api.proxy.edges.count({ source_service: "web", source_version: "v3", source_cluster: "eu-1", destination_service: "api", destination_cluster: "eu-1", mtls: "true", reporter: "destination" })).toBe(1);
    // The caller's proxy counts the same request with the same source labels, as the source reporter:
    // only `reporter` tells the two records apart (what the rollups and the exported rules select on).
    expect(web.edges.count({ source_service: "web", source_version: "v3", source_cluster: "eu-1", destination_service: "api", mtls: "true", reporter: "source" })).toBe(1);
    expect(web.edges.count({ reporter: "destination" })).toBe(0);
    // The app behind the inbound side never sees the header.
    expect(api.app.seen[0]?.headers["x-weft-peer-metadata"]).toBeUndefined();
    // A plaintext caller's claim counts for nothing.
    expect((await send({ port: api.port, host: "api", headers: { "x-weft-peer-metadata": "web;v3" } })).status).toBe(200);
    expect(api.proxy.edges.count({ source_service: "unknown", source_version: "unknown", destination_cluster: "eu-1", mtls: "false" })).toBe(1);
  });

  it("carries the identity over HTTP/2 (ALPN h2) between proxies", async () => {
    const api = await apiServer("STRICT");
    const input = clientConfig(svids[WEB] as WorkloadSvid, api.port);
    input.backends = [backend("api", [{ port: api.port }], { namespace: "shop", protocol: "http2", mtls: { expectedIdentities: [API] } })];
    const web = await stack.proxy(input);
    const results = await Promise.all([1, 2, 3].map(() => send({ port: port(web, "outbound"), host: "api", path: "/h2" })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(api.app.seen.map((s) => s.headers["x-weft-peer-identity"])).toEqual([WEB, WEB, WEB]);
  });

  it("refuses plaintext in STRICT and accepts it in PERMISSIVE on the same port, without trusting its headers", async () => {
    const api = await apiServer("STRICT");
    await expect(send({ port: api.port, path: "/" })).rejects.toThrow();
    expect(refused(api.proxy, "plaintext")).toBe(1);

    const result = await api.proxy.applyConfig(serverConfig(api.app, inlineIdentity(svids[API] as WorkloadSvid, [pki]), "PERMISSIVE", {}, "v2"));
    expect(result).toEqual({ ok: true, version: "v2" });
    expect(port(api.proxy, "inbound")).toBe(api.port);
    const plain = await send({ port: api.port, path: "/plain", headers: { "x-forwarded-client-cert": `URI=${ADMIN}`, "x-weft-peer-identity": ADMIN } });
    expect(plain.status).toBe(200);
    const web = await callerProxy(svids[WEB] as WorkloadSvid, api.port);
    expect((await send({ port: port(web, "outbound"), host: "api", path: "/mtls" })).status).toBe(200);

    const [plainSeen, mtlsSeen] = api.app.seen;
    expect(plainSeen?.headers["x-forwarded-client-cert"]).toBeUndefined();
    expect(plainSeen?.headers["x-weft-peer-identity"]).toBeUndefined();
    expect(mtlsSeen?.headers["x-weft-peer-identity"]).toBe(WEB);
    expect(api.proxy.edges.count({ source_identity: "unknown", mtls: "false", response_code: "200" })).toBe(1);
    expect(api.proxy.edges.count({ source_identity: WEB, mtls: "true", response_code: "200" })).toBe(1);
  });

  it("refuses a client SVID from a foreign root, an expired one and a leaf with two URI SANs", async () => {
    const api = await apiServer("STRICT");
    const ca = pki.root.certificatePem;
    const foreignSvid = await issue(foreign, WEB);
    const expired = await issueExpired(pki, WEB);
    const twoUris = await forgeTwoUriLeaf(pki, [WEB, ADMIN]);
    const valid = await tlsGet(api.port, svidTlsCredentials(svids[WEB] as WorkloadSvid), ca);
    expect(valid).toEqual({ status: 200 });

    for (const creds of [svidTlsCredentials(foreignSvid), svidTlsCredentials(expired), twoUris]) {
      expect(await tlsGet(api.port, creds, ca)).toHaveProperty("error");
    }
    expect(api.app.seen).toHaveLength(1);
    // OpenSSL refuses the foreign chain and the expired leaf in the handshake; the SPIFFE rules refuse the two URIs.
    expect(refused(api.proxy, "handshake")).toBe(2);
    expect(refused(api.proxy, "uri-san-count")).toBe(1);
  });
});

describe("outbound mTLS origination", () => {
  it("refuses a server whose SPIFFE ID is not one the destination may have (503 UPE)", async () => {
    const api = await apiServer("STRICT");
    const web = await callerProxy(svids[WEB] as WorkloadSvid, api.port, { expect: [id("shop", "payments"), "spiffe://mesh.test/ns/billing/*"] });
    const res = await send({ port: port(web, "outbound"), host: "api", path: "/" });
    expect(res.status).toBe(503);
    expect(res.headers["x-weft-flags"]).toBe("UPE");
    expect(api.app.seen).toHaveLength(0);

    const patterned = await callerProxy(svids[WEB] as WorkloadSvid, api.port, { expect: ["spiffe://mesh.test/ns/shop/*"] });
    expect((await send({ port: port(patterned, "outbound"), host: "api", path: "/" })).status).toBe(200);
  });

  it("refuses a server from a foreign root (503 UPE)", async () => {
    const app = await stack.upstream("impostor-app");
    const impostor = await stack.proxy(serverConfig(app, inlineIdentity(await issue(foreign, API), [foreign]), "PERMISSIVE"));
    const web = await callerProxy(svids[WEB] as WorkloadSvid, port(impostor, "inbound"));
    const res = await send({ port: port(web, "outbound"), host: "api", path: "/" });
    expect([res.status, res.headers["x-weft-flags"]]).toEqual([503, "UPE"]);
    expect(app.seen).toHaveLength(0);
  });
});

describe("authorization between proxies", () => {
  const policies: CompiledAuthorizationPolicyInput[] = [
    { name: "web-reads", namespace: "shop", action: "ALLOW", rules: [{ from: { identities: [WEB] }, to: { methods: ["GET"], paths: ["/api/*"] } }] },
    { name: "ops", namespace: "shop", action: "ALLOW", rules: [{ from: { namespaces: ["ops"] } }] },
    { name: "no-admin-for-web", namespace: "shop", action: "DENY", rules: [{ from: { identities: ["*/sa/web"] }, to: { paths: ["/api/admin*"] } }] },
    { name: "audit-posts", namespace: "shop", action: "AUDIT", rules: [{ to: { methods: ["POST"] } }] },
  ];
  const compiled = policies.map((p) => CompiledAuthorizationPolicySchema.parse(p));

  it("enforces the identity × path × method matrix exactly as evaluateAuthorization decides", async () => {
    const api = await apiServer("STRICT", { authorization: { policies } });
    const callers = await Promise.all([WEB, BATCH, ADMIN].map(async (who) => [who, await callerProxy(svids[who] as WorkloadSvid, api.port)] as const));
    const rows: { who: string; method: string; path: string; status: number; flags: string | undefined; expected: string; policy: string | undefined }[] = [];
    for (const [who, proxy] of callers) {
      for (const path of ["/api/items", "/api/admin/users", "/internal"]) {
        for (const method of ["GET", "POST"]) {
          const res: ClientResponse = await send({ port: port(proxy, "outbound"), host: "api", path, method });
          const decision = evaluateAuthorization(compiled, { source: { identity: who, cluster: "eu-1" }, destination: { port: api.app.port }, method, path });
          const flags = res.headers["x-weft-flags"];
          rows.push({ who, method, path, status: res.status, flags: typeof flags === "string" ? flags : undefined, expected: decision.decision, policy: decision.policy });
        }
      }
    }
    // The evaluator agrees with the proxy on every cell.
    for (const row of rows) {
      expect([row.who, row.method, row.path, row.status, row.flags]).toEqual([row.who, row.method, row.path, row.expected === "ALLOW" ? 200 : 403, row.expected === "ALLOW" ? undefined : "RBAC"]);
    }
    const cell = (who: string, method: string, path: string) => rows.find((r) => r.who === who && r.method === method && r.path === path);
    expect(cell(WEB, "GET", "/api/items")).toMatchObject({ status: 200, policy: "shop/web-reads" });
    expect(cell(WEB, "GET", "/api/admin/users")).toMatchObject({ status: 403, policy: "shop/no-admin-for-web" }); // DENY overrides ALLOW
    expect(cell(WEB, "POST", "/api/items")).toMatchObject({ status: 403, policy: undefined }); // default deny once an ALLOW exists
    expect(cell(BATCH, "GET", "/api/items")).toMatchObject({ status: 403, policy: undefined });
    expect(cell(ADMIN, "POST", "/api/admin/users")).toMatchObject({ status: 200, policy: "shop/ops" });
    expect(rows.filter((r) => r.status === 200)).toHaveLength(api.app.seen.length);

    const text = api.proxy.metricsText();
    expect(text).toContain('weft_authz_decisions_total{listener="inbound",policy="shop/no-admin-for-web",decision="denied"} 2');
    expect(text).toContain('weft_authz_decisions_total{listener="inbound",policy="shop/audit-posts",decision="audited"} 9');
    expect(text).toContain('weft_authz_decisions_total{listener="inbound",policy="-",decision="denied"}');
  });
});

/** Requests sent continuously through `targetPort` by `workers` clients until stopped. */
function load(targetPort: number, workers = 6) {
  let running = true;
  const results = { ok: 0, failed: [] as string[] };
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      try {
        const res = await send({ port: targetPort, host: "api", path: "/load" });
        if (res.status === 200) results.ok++;
        else results.failed.push(`${res.status} ${String(res.headers["x-weft-flags"] ?? "")} ${res.body.trim()}`);
      } catch (err) {
        results.failed.push((err as Error).message);
      }
    }
  });
  return {
    results,
    async stop() {
      running = false;
      await Promise.all(loops);
      return results;
    },
  };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("certificate rotation", () => {
  it("rotates SVIDs and the root (files on the server, config pushes on the client) under load with zero failed requests", async () => {
    const dir = await mkdtemp(join(tmpdir(), "weft-svid-"));
    stack.defer(() => rm(dir, { recursive: true, force: true }));
    const files = { cert: join(dir, "svid.pem"), key: join(dir, "svid-key.pem"), bundle: join(dir, "bundle.pem") };
    // Written aside and renamed in, as the agent (or a Kubernetes secret volume) does.
    const put = async (path: string, text: string) => {
      await writeFile(`${path}.tmp`, text);
      await rename(`${path}.tmp`, path);
    };
    const writeSvid = async (svid: WorkloadSvid) => {
      const { cert, key } = svidTlsCredentials(svid);
      await put(files.cert, cert);
      await put(files.key, key);
    };
    await writeSvid(svids[API] as WorkloadSvid);
    await put(files.bundle, pki.root.certificatePem);

    const app = await stack.upstream("api-app");
    const api = await stack.proxy(
      serverConfig(app, { trustDomain: "mesh.test", svid: { source: "file", certChainPath: files.cert, keyPath: files.key }, trustBundle: { source: "file", path: files.bundle }, fileCheckIntervalMs: 50 }, "STRICT"),
    );
    const apiPort = port(api, "inbound");
    const web = await callerProxy(svids[WEB] as WorkloadSvid, apiPort);
    const identityOf = () => (api.stats() as { identity: { notAfter: string; trustBundleRoots: number } }).identity;
    const pause = () => new Promise((r) => setTimeout(r, 250));

    const traffic = load(port(web, "outbound"));
    await pause();
    // 1. Both sides trust the old and the new root.
    await put(files.bundle, `${pki.root.certificatePem}\n${pki2.root.certificatePem}`);
    expect(await web.applyConfig(clientConfig(svids[WEB] as WorkloadSvid, apiPort, { roots: [pki, pki2], version: "v2" }))).toMatchObject({ ok: true });
    await until(() => identityOf().trustBundleRoots === 2, "the server to load the two-root bundle");
    await pause();
    // 2. Workload SVIDs move to the new chain.
    const before = identityOf().notAfter;
    const [api2, web2] = await Promise.all([issue(pki2, API), issue(pki2, WEB)]);
    await writeSvid(api2);
    expect(await web.applyConfig(clientConfig(web2, apiPort, { roots: [pki, pki2], version: "v3" }))).toMatchObject({ ok: true });
    await until(() => identityOf().notAfter !== before, "the server to load its new SVID");
    await pause();
    // 3. The old root goes away.
    await put(files.bundle, pki2.root.certificatePem);
    expect(await web.applyConfig(clientConfig(web2, apiPort, { roots: [pki2], version: "v4" }))).toMatchObject({ ok: true });
    await until(() => identityOf().trustBundleRoots === 1, "the server to drop the old root");
    await pause();
    const results = await traffic.stop();

    expect(results.failed).toEqual([]);
    expect(results.ok).toBeGreaterThan(50);
    // A caller still holding an old-root SVID is now refused; the new chain is what the server presents.
    expect(await tlsGet(apiPort, svidTlsCredentials(svids[WEB] as WorkloadSvid), pki2.root.certificatePem)).toHaveProperty("error");
    expect(await tlsGet(apiPort, svidTlsCredentials(web2), pki2.root.certificatePem)).toEqual({ status: 200 });
    // Four certificates issued and three waits on file reloads: seconds on a loaded two-core machine.
  }, 30_000);

  it("redacts private keys in GET /config and never logs them", async () => {
    const lines: string[] = [];
    const capture = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
    const app = await stack.upstream("api-app");
    const proxy = await stack.proxy(serverConfig(app, inlineIdentity(svids[API] as WorkloadSvid, [pki]), "STRICT"), { logger: { info: capture("info"), warn: capture("warn"), error: capture("error") } });
    const dump = await send({ port: port(proxy, "admin"), path: "/config" });
    expect(dump.status).toBe(200);
    const shown = dump.json<{ config: { identity: { svid: { keyPem: string; certChainPem: string } } } }>().config.identity.svid;
    expect(shown.keyPem).toBe("[redacted]");
    expect(shown.certChainPem).toContain("BEGIN CERTIFICATE");
    expect(dump.body).not.toContain("PRIVATE KEY");
    // A refused push and a refused client produce log lines; none carries key material.
    await proxy.applyConfig(serverConfig(app, { ...inlineIdentity(svids[API] as WorkloadSvid, [pki]), svid: { source: "inline", certChainPem: svidTlsCredentials(svids[API] as WorkloadSvid).cert, keyPem: svidTlsCredentials(svids[WEB] as WorkloadSvid).key } }, "STRICT", {}, "v2"));
    await tlsGet(port(proxy, "inbound"), await forgeTwoUriLeaf(pki, [WEB, ADMIN]), pki.root.certificatePem);
    expect(lines.some((l) => l.includes("config refused"))).toBe(true);
    expect(lines.some((l) => l.includes("mTLS client refused"))).toBe(true);
    expect(lines.join("\n")).not.toContain("PRIVATE KEY");
  });

  it("refuses a pushed SVID that does not chain to the bundle, or whose key does not match, and keeps the old one", async () => {
    const api = await apiServer("STRICT");
    const app = await stack.upstream("other");
    const wrongKey = { ...inlineIdentity(svids[API] as WorkloadSvid, [pki]), svid: { source: "inline" as const, certChainPem: svidTlsCredentials(svids[API] as WorkloadSvid).cert, keyPem: svidTlsCredentials(svids[WEB] as WorkloadSvid).key } };
    const bad = await api.proxy.applyConfig(serverConfig(app, wrongKey, "STRICT", {}, "v2"));
    expect(bad).toMatchObject({ ok: false, kind: "invalid" });
    expect(JSON.stringify(bad)).not.toContain("PRIVATE KEY");
    const foreignChain = await api.proxy.applyConfig(serverConfig(app, inlineIdentity(await issue(foreign, API), [pki]), "STRICT", {}, "v3"));
    expect(foreignChain).toMatchObject({ ok: false, kind: "invalid", reason: expect.stringContaining("untrusted") });
    expect(api.proxy.version).toBe("v1");
  });
});

describe("revoked cluster intermediates", () => {
  it("refuses clients and servers whose chain holds a revoked intermediate, and keeps serving the others", async () => {
    const removed = await addCluster(pki, "eu-2");
    const revokedFingerprints = [parseCertificate(removed.intermediate.certificatePem).fingerprintSha256];
    const withRevocations = (svid: WorkloadSvid) => ({ ...inlineIdentity(svid, [pki]), revokedFingerprints });
    const ca = pki.root.certificatePem;

    // Inbound: a client SVID issued by the removed cluster's intermediate is refused; one of eu-1 still passes.
    const app = await stack.upstream("api-app");
    const api = await stack.proxy(serverConfig(app, withRevocations(svids[API] as WorkloadSvid), "STRICT"));
    const apiPort = port(api, "inbound");
    expect(await tlsGet(apiPort, svidTlsCredentials(svids[WEB] as WorkloadSvid), ca)).toEqual({ status: 200 });
    expect(await tlsGet(apiPort, svidTlsCredentials(await issue(removed, WEB)), ca)).toHaveProperty("error");
    expect(app.seen).toHaveLength(1);
    expect(refused(api, "revoked")).toBe(1);

    // Outbound: a server whose SVID comes from the removed cluster is refused (503 UPE); the eu-1 server answers.
    const impostorApp = await stack.upstream("impostor-app");
    const impostor = await stack.proxy(serverConfig(impostorApp, inlineIdentity(await issue(removed, API), [pki]), "STRICT"));
    for (const [target, expected] of [
      [port(impostor, "inbound"), [503, "UPE"]],
      [apiPort, [200, undefined]],
    ] as const) {
      const input = clientConfig(svids[WEB] as WorkloadSvid, target);
      const web = await stack.proxy({ ...input, identity: withRevocations(svids[WEB] as WorkloadSvid) });
      const res = await send({ port: port(web, "outbound"), host: "api", path: "/" });
      expect([res.status, res.headers["x-weft-flags"]]).toEqual(expected);
    }
    expect(impostorApp.seen).toHaveLength(0);
    expect(app.seen).toHaveLength(2);
  });

  it("refuses a client it accepted before once a pushed config revokes its intermediate (accepted chains are not remembered across material)", async () => {
    const later = await addCluster(pki, "eu-3");
    const app = await stack.upstream("api-app");
    const api = await stack.proxy(serverConfig(app, inlineIdentity(svids[API] as WorkloadSvid, [pki]), "STRICT"));
    const apiPort = port(api, "inbound");
    const creds = svidTlsCredentials(await issue(later, WEB));
    const ca = pki.root.certificatePem;
    expect(await tlsGet(apiPort, creds, ca)).toEqual({ status: 200 });
    expect(await tlsGet(apiPort, creds, ca)).toEqual({ status: 200 });
    const revoked = { ...inlineIdentity(svids[API] as WorkloadSvid, [pki]), revokedFingerprints: [parseCertificate(later.intermediate.certificatePem).fingerprintSha256] };
    expect(await api.applyConfig(serverConfig(app, revoked, "STRICT", {}, "v2"))).toMatchObject({ ok: true });
    expect(await tlsGet(apiPort, creds, ca)).toHaveProperty("error");
    expect(app.seen).toHaveLength(2);
  });
});
