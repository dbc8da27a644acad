// JWT request authentication at an inbound listener, against a local JWKS
// HTTP server: valid, expired (beyond and within the clock skew), wrong
// audience, missing, unknown key id (refresh, rate-limited) and key rotation;
// claims feeding authorization.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import type { ProxyConfigInput } from "@weft/mesh-model/proxy-config";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { port, send, Stack, type Upstream } from "./harness.ts";

const ISSUER = "https://idp.test";
const stack = new Stack();
afterEach(() => stack.close());

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } };
}

let k1: SigningKey;
let k2: SigningKey;
let k3: SigningKey;
beforeAll(async () => {
  [k1, k2, k3] = await Promise.all([signingKey("k1"), signingKey("k2"), signingKey("k3")]);
});

/** A JWKS endpoint serving whatever `keys` holds now, counting fetches. */
async function jwksServer(initial: SigningKey[]) {
  const state = { keys: initial, fetches: 0 };
  const server: Server = createServer((_req, res) => {
    state.fetches++;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: state.keys.map((k) => k.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  stack.defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { state, uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks` };
}

function token(key: SigningKey, claims: Record<string, unknown> = {}, options: { aud?: string; expSeconds?: number } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ groups: ["staff"], ...claims })
    .setProtectedHeader({ alg: "ES256", kid: key.kid })
    .setIssuer(ISSUER)
    .setSubject("alice")
    .setAudience(options.aud ?? "shop")
    .setIssuedAt(now - 300)
    .setExpirationTime(now + (options.expSeconds ?? 300))
    .sign(key.privateKey);
}

function config(app: Upstream, jwksUri: string): ProxyConfigInput {
  return {
    version: "v1",
    node: { service: "api", namespace: "shop" },
    listeners: [
      { kind: "inbound", name: "inbound", port: 0, app: { port: app.port } },
      { kind: "admin", name: "admin", port: 0 },
    ],
    requestAuthentication: {
      clockSkewSeconds: 30,
      issuers: [
        {
          issuer: ISSUER,
          audiences: ["shop"],
          jwks: { source: "remote", uri: jwksUri, minRefreshIntervalMs: 1000 },
          fromHeaders: [{ name: "authorization", prefix: "Bearer " }],
          fromParams: ["access_token"],
        },
      ],
    },
    authorization: {
      policies: [
        {
          name: "reports",
          namespace: "shop",
          action: "ALLOW",
          rules: [{ to: { paths: ["/public*"] } }, { to: { paths: ["/reports*"] }, when: [{ key: "request.auth.claims[groups]", values: ["admins"] }] }],
        },
      ],
    },
  };
}

async function setup(keys: SigningKey[] = [k1]) {
  const jwks = await jwksServer(keys);
  const app = await stack.upstream("app");
  const proxy = await stack.proxy(config(app, jwks.uri));
  const p = port(proxy, "inbound");
  const get = (path: string, bearer?: string) => send({ port: p, path, ...(bearer ? { headers: { authorization: `Bearer ${bearer}` } } : {}) });
  return { jwks, app, proxy, get };
}

describe("JWT request authentication", () => {
  it("accepts a valid token, hands the app the principal, strips the token and lets claims authorize", async () => {
    const { app, get, proxy } = await setup();
    const res = await get("/public/a", await token(k1));
    expect(res.status).toBe(200);
    expect(app.seen[0]?.headers["x-weft-request-principal"]).toBe(`${ISSUER}/alice`);
    expect(app.seen[0]?.headers.authorization).toBeUndefined();

    expect((await get("/reports/q1", await token(k1))).status).toBe(403);
    expect((await get("/reports/q1", await token(k1, { groups: ["staff", "admins"] }))).status).toBe(200);
    const viaQuery = await send({ port: port(proxy, "inbound"), path: `/reports/q2?x=1&access_token=${await token(k1, { groups: ["admins"] })}` });
    expect(viaQuery.status).toBe(200);
    expect(app.seen.at(-1)?.url).toBe("/reports/q2?x=1");
  });

  it("lets a request without a token through without a principal, unless a policy needs a claim", async () => {
    const { get, app, proxy } = await setup();
    expect((await get("/public/a")).status).toBe(200);
    expect(app.seen[0]?.headers["x-weft-request-principal"]).toBeUndefined();
    const denied = await get("/reports/q1");
    expect([denied.status, denied.headers["x-weft-flags"]]).toEqual([403, "RBAC"]);
    expect(proxy.metricsText()).toContain('weft_jwt_authentications_total{listener="inbound",issuer="-",result="missing"} 2');
  });

  it.each([
    ["expired beyond the clock skew", () => token(k1, {}, { expSeconds: -120 }), /expired/],
    ["for another audience", () => token(k1, {}, { aud: "billing" }), /aud/],
    ["signed by a key the issuer never published", () => token(k3), /key id/],
    ["garbage", () => Promise.resolve("not.a.jwt"), /malformed/],
  ])("answers 401 invalid_token to a token %s", async (_name, make, reason) => {
    const { get, app } = await setup();
    const res = await get("/public/a", await make());
    expect(res.status).toBe(401);
    expect(res.headers["x-weft-flags"]).toBe("JWT");
    expect(res.headers["www-authenticate"]).toMatch(/^Bearer realm="weft", error="invalid_token", error_description=".+"$/);
    expect(res.body).toMatch(reason);
    expect(app.seen).toHaveLength(0);
  });

  it("verifies tokens on an outbound listener named in requestAuthentication.listeners (gateway mode)", async () => {
    const jwks = await jwksServer([k1]);
    const app = await stack.upstream("svc");
    const proxy = await stack.proxy({
      version: "v1",
      node: { service: "gateway", namespace: "edge" },
      listeners: [{ kind: "outbound", name: "public", port: 0 }],
      virtualHosts: [{ name: "svc", domains: ["svc"], routes: [{ name: "r", namespace: "edge", creationTimestamp: "2024-01-01T00:00:00Z", rules: [{ backendRefs: [{ backend: "svc" }] }] }] }],
      backends: [{ name: "svc", service: "svc", namespace: "edge", endpoints: [{ address: "127.0.0.1", port: app.port }] }],
      requestAuthentication: { listeners: ["public"], issuers: [{ issuer: ISSUER, audiences: ["shop"], jwks: { source: "remote", uri: jwks.uri } }] },
    });
    const p = port(proxy, "public");
    expect((await send({ port: p, host: "svc", headers: { authorization: `Bearer ${await token(k1, {}, { aud: "other" })}` } })).status).toBe(401);
    expect((await send({ port: p, host: "svc", headers: { authorization: `Bearer ${await token(k1)}` } })).status).toBe(200);
    expect((await send({ port: p, host: "svc" })).status).toBe(200);
    expect(app.seen.map((s) => s.headers.authorization)).toEqual([undefined, undefined]);
  });

  it("accepts a token that expired within the clock skew", async () => {
    const { get } = await setup();
    expect((await get("/public/a", await token(k1, {}, { expSeconds: -10 }))).status).toBe(200);
  });

  it("follows a key rotation: an unknown key id refreshes the JWKS, at most once per minRefreshIntervalMs", async () => {
    const { get, jwks } = await setup([k1]);
    expect((await get("/public/a", await token(k1))).status).toBe(200);
    expect(jwks.state.fetches).toBe(1);
    jwks.state.keys = [k1, k2];
    // Let the refresh interval since the first fetch pass, so the unknown kid may trigger a fetch.
    await new Promise((r) => setTimeout(r, 1100));
    expect((await get("/public/a", await token(k2))).status).toBe(200);
    expect(jwks.state.fetches).toBe(2);
    // Right after a refresh, further unknown key ids are refused without fetching again.
    for (let i = 0; i < 5; i++) expect((await get("/public/a", await token(k3))).status).toBe(401);
    expect(jwks.state.fetches).toBe(2);
    jwks.state.keys = [k2];
    expect((await get("/public/a", await token(k1))).status).toBe(200); // keys already known stay until the next refresh
  });
});
