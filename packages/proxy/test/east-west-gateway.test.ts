// Cross-cluster traffic through an east-west gateway, all real TLS on
// 127.0.0.1: a caller proxy in cluster "east" originates mTLS with its own
// SVID and an east-west server name; the gateway of cluster "west" (which has
// no identity at all) routes on that name and pipes the bytes; the
// destination's inbound proxy terminates STRICT mTLS, so authorization sees
// the caller's SPIFFE ID. Every certificate chains to one mesh root.
import { connect as netConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { formatEastWestSni, type ProxyConfigInput } from "@weft/mesh-model/proxy-config";
import type { WorkloadSvid } from "@weft/identity";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { WeftProxy } from "../src/index.ts";
import { port, send, Stack, vhost, type Upstream } from "./harness.ts";
import { addCluster, createPki, id, inlineIdentity, issue, type Pki } from "./pki.ts";

const WEB = id("shop", "web");
const BATCH = id("shop", "batch");
const API = id("shop", "api");
const SNI_ANY = formatEastWestSni({ service: "api", namespace: "shop", port: 8080 })!;
const SNI_V1 = formatEastWestSni({ service: "api", namespace: "shop", port: 8080, version: "v1" })!;
const SNI_V2 = formatEastWestSni({ service: "api", namespace: "shop", port: 8080, version: "v2" })!;

let east: Pki;
let west: Pki;
const svids: Record<string, WorkloadSvid> = {};

beforeAll(async () => {
  east = await createPki("east");
  west = await addCluster(east, "west");
  [svids[WEB], svids[BATCH], svids[API]] = await Promise.all([issue(east, WEB), issue(east, BATCH), issue(west, API)]);
});

const stack = new Stack();
afterEach(() => stack.close());

/** The destination in cluster west: an app behind an inbound proxy with STRICT mTLS. */
async function destination(version: string, authorization?: ProxyConfigInput["authorization"]): Promise<{ app: Upstream; proxy: WeftProxy }> {
  const app = await stack.upstream(`api-${version}`);
  const proxy = await stack.proxy({
    version: "d1",
    node: { service: "api", namespace: "shop", version, locality: { cluster: "west" } },
    listeners: [
      { kind: "inbound", name: "inbound", port: 0, app: { port: app.port }, mtlsMode: "STRICT" },
      { kind: "admin", name: "admin", port: 0 },
    ],
    identity: inlineIdentity(svids[API] as WorkloadSvid, [east]),
    ...(authorization ? { authorization } : {}),
  });
  return { app, proxy };
}

/** West's east-west gateway: server name → the destinations' inbound ports. No identity: it never terminates TLS. */
function gatewayConfig(routes: { sni: string; to: WeftProxy[] }[], clientHelloTimeoutMs?: number): ProxyConfigInput {
  return {
    version: "g1",
    node: { service: "east-west-gateway", namespace: "weft-system", locality: { cluster: "west" } },
    listeners: [
      { kind: "gateway", name: "gateway", port: 0, routes: routes.map((r, i) => ({ sni: r.sni, backend: `route-${i}` })), ...(clientHelloTimeoutMs ? { clientHelloTimeoutMs } : {}) },
      { kind: "admin", name: "admin", port: 0 },
    ],
    backends: routes.map((r, i) => ({
      name: `route-${i}`,
      service: "api",
      namespace: "shop",
      endpoints: r.to.map((p) => ({ address: "127.0.0.1", port: port(p, "inbound"), locality: { cluster: "west" } })),
      loadBalancer: { algorithm: "round-robin" },
    })),
  };
}

/** A caller in cluster east reaching `api` through the gateway, one backend per server name. */
function callerConfig(svid: WorkloadSvid, gatewayPort: number, backends: { name: string; sni: string; version?: string }[], expect = ["spiffe://mesh.test/ns/shop/*"]): ProxyConfigInput {
  return {
    version: "c1",
    node: { service: "web", namespace: "shop", locality: { cluster: "east" } },
    listeners: [{ kind: "outbound", name: "outbound", port: 0 }],
    virtualHosts: backends.map((b) => ({ ...vhost(b.name, [{ backendRefs: [{ backend: b.name }] }]), name: b.name })),
    backends: backends.map((b) => ({
      name: b.name,
      service: "api",
      namespace: "shop",
      ...(b.version ? { version: b.version } : {}),
      endpoints: [{ address: "127.0.0.1", port: gatewayPort, sni: b.sni, locality: { cluster: "west" } }],
      mtls: { expectedIdentities: expect },
    })),
    identity: inlineIdentity(svid, [east]),
  };
}

function metric(proxy: WeftProxy, line: string): number {
  const found = proxy.metricsText().split("\n").find((l) => l.startsWith(line));
  return found ? Number(found.slice(line.length).trim()) : 0;
}

/** Opens a raw connection to the gateway, writes `bytes` and resolves once the gateway has closed it. */
function rawExchange(gatewayPort: number, bytes: Buffer | undefined): Promise<void> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: "127.0.0.1", port: gatewayPort }, () => {
      if (bytes) socket.write(bytes);
    });
    socket.on("error", () => undefined);
    socket.resume();
    socket.once("close", () => resolve());
  });
}

/** A TLS handshake against the gateway with `servername`; resolves with what happened (it never gets a certificate from the gateway itself). */
function tlsAttempt(gatewayPort: number, servername: string | undefined): Promise<"connected" | "closed"> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: "127.0.0.1", port: gatewayPort, ...(servername ? { servername } : {}), rejectUnauthorized: false });
    socket.once("secureConnect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.on("error", () => undefined);
    socket.once("close", () => resolve("closed"));
  });
}

describe("east-west gateway (SNI passthrough, end-to-end mTLS)", () => {
  const authorization: ProxyConfigInput["authorization"] = {
    policies: [
      { name: "web-reads", namespace: "shop", action: "ALLOW", rules: [{ from: { identities: [WEB] } }] },
      { name: "no-admin", namespace: "shop", action: "DENY", rules: [{ from: { identities: [WEB] }, to: { paths: ["/admin*"] } }] },
    ],
  };

  it("carries requests across clusters; the destination authorizes the caller's own SPIFFE ID", async () => {
    const api = await destination("v1", authorization);
    const gateway = await stack.proxy(gatewayConfig([{ sni: SNI_ANY, to: [api.proxy] }]));
    const web = await stack.proxy(callerConfig(svids[WEB] as WorkloadSvid, port(gateway, "gateway"), [{ name: "api", sni: SNI_ANY }]));
    const batch = await stack.proxy(callerConfig(svids[BATCH] as WorkloadSvid, port(gateway, "gateway"), [{ name: "api", sni: SNI_ANY }]));

    const ok = await send({ port: port(web, "outbound"), host: "api", path: "/items" });
    expect(ok.status).toBe(200);
    // The app sees the caller's identity from the caller's certificate: the gateway never terminated TLS.
    expect(api.app.seen.at(-1)?.headers["x-weft-peer-identity"]).toBe(WEB);

    const denied = await send({ port: port(web, "outbound"), host: "api", path: "/admin/users" });
    expect([denied.status, denied.headers["x-weft-flags"]]).toEqual([403, "RBAC"]);
    const other = await send({ port: port(batch, "outbound"), host: "api", path: "/items" });
    expect([other.status, other.headers["x-weft-flags"]]).toEqual([403, "RBAC"]);
    expect(api.app.seen).toHaveLength(1);

    // The gateway routed one connection per caller (each kept alive for its requests).
    expect((gateway.stats().backends["route-0"] as { requests: number }).requests).toBe(2);
    expect(metric(api.proxy, 'weft_authz_decisions_total{listener="inbound",policy="shop/no-admin",decision="denied"}')).toBe(1);
  });

  it("still checks the server identity the far proxy presents", async () => {
    const api = await destination("v1");
    const gateway = await stack.proxy(gatewayConfig([{ sni: SNI_ANY, to: [api.proxy] }]));
    const web = await stack.proxy(callerConfig(svids[WEB] as WorkloadSvid, port(gateway, "gateway"), [{ name: "api", sni: SNI_ANY }], ["spiffe://mesh.test/ns/billing/*"]));
    const res = await send({ port: port(web, "outbound"), host: "api", path: "/" });
    expect([res.status, res.headers["x-weft-flags"]]).toEqual([503, "UPE"]);
    expect(api.app.seen).toHaveLength(0);
  });

  it("keeps connections of different server names apart: each version subset reaches its own instances", async () => {
    const [v1, v2] = await Promise.all([destination("v1"), destination("v2")]);
    const gateway = await stack.proxy(
      gatewayConfig([
        { sni: SNI_V1, to: [v1.proxy] },
        { sni: SNI_V2, to: [v2.proxy] },
      ]),
    );
    const web = await stack.proxy(
      callerConfig(svids[WEB] as WorkloadSvid, port(gateway, "gateway"), [
        { name: "api-v1", sni: SNI_V1, version: "v1" },
        { name: "api-v2", sni: SNI_V2, version: "v2" },
      ]),
    );
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const host = i % 2 === 0 ? "api-v1" : "api-v2";
      const res = await send({ port: port(web, "outbound"), host, path: `/${i}` });
      seen.push(`${host}:${res.status}:${String(res.headers["x-upstream"])}`);
    }
    expect(seen).toEqual(["api-v1:200:api-v1", "api-v2:200:api-v2", "api-v1:200:api-v1", "api-v2:200:api-v2", "api-v1:200:api-v1", "api-v2:200:api-v2"]);
  });

  it("closes garbage, unknown and missing server names, counts them, and keeps routing", async () => {
    const api = await destination("v1");
    const gateway = await stack.proxy(gatewayConfig([{ sni: SNI_ANY, to: [api.proxy] }], 500));
    const gw = port(gateway, "gateway");

    await rawExchange(gw, Buffer.from("GET / HTTP/1.1\r\nHost: api\r\n\r\n"));
    await rawExchange(gw, Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0xff, 0xff, 0xff]));
    await rawExchange(gw, Buffer.alloc(4096, 0x16));
    // A partial ClientHello that never completes: closed once clientHelloTimeoutMs has passed.
    await rawExchange(gw, Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    expect(await tlsAttempt(gw, "9080.any.unknown.shop.weft.internal")).toBe("closed");
    expect(await tlsAttempt(gw, undefined)).toBe("closed");

    const refused = (reason: string) => metric(gateway, `weft_gateway_connections_refused_total{listener="gateway",reason="${reason}"}`);
    expect({ malformed: refused("malformed"), timeout: refused("timeout"), unknown: refused("unknown_sni"), none: refused("no_sni") }).toEqual({ malformed: 3, timeout: 1, unknown: 1, none: 1 });
    expect(api.app.seen).toHaveLength(0);

    // Still routing after all that.
    const web = await stack.proxy(callerConfig(svids[WEB] as WorkloadSvid, gw, [{ name: "api", sni: SNI_ANY }]));
    expect((await send({ port: port(web, "outbound"), host: "api", path: "/" })).status).toBe(200);
  });

  it("follows new routes without a restart", async () => {
    const [v1, v2] = await Promise.all([destination("v1"), destination("v2")]);
    const gateway = await stack.proxy(gatewayConfig([{ sni: SNI_ANY, to: [v1.proxy] }]));
    const web = await stack.proxy(callerConfig(svids[WEB] as WorkloadSvid, port(gateway, "gateway"), [{ name: "api", sni: SNI_ANY }]));
    expect((await send({ port: port(web, "outbound"), host: "api", path: "/", headers: { connection: "close" } })).headers["x-upstream"]).toBe("api-v1");
    const applied = await gateway.applyConfig({ ...gatewayConfig([{ sni: SNI_ANY, to: [v2.proxy] }]), version: "g2" });
    expect(applied.ok).toBe(true);
    // A new caller connection follows the new route (the listener was kept: same port).
    const web2 = await stack.proxy(callerConfig(svids[WEB] as WorkloadSvid, port(gateway, "gateway"), [{ name: "api", sni: SNI_ANY }]));
    expect((await send({ port: port(web2, "outbound"), host: "api", path: "/" })).headers["x-upstream"]).toBe("api-v2");
  });
});
