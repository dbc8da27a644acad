import { describe, expect, it } from "vitest";
import type { ProxyConfigInput } from "./proxy-config.schema.ts";
import { describeIssues, validateProxyConfig } from "./proxy-config.validate.ts";

const CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const SECRET = "c2VjcmV0LWtleS1tYXRlcmlhbC1kby1ub3QtbGVhaw";
const KEY = `-----BEGIN PRIVATE KEY-----\n${SECRET}\n-----END PRIVATE KEY-----\n`;

const identity = { trustDomain: "mesh.test", svid: { source: "inline" as const, certChainPem: CERT, keyPem: KEY }, trustBundle: { source: "inline" as const, rootsPem: [CERT] } };

const config = (over: Partial<ProxyConfigInput> = {}): ProxyConfigInput => ({
  version: "1",
  node: { service: "api", namespace: "shop" },
  listeners: [{ kind: "inbound", name: "inbound", port: 0, app: { port: 8080 }, mtlsMode: "STRICT" }],
  backends: [{ name: "db", service: "db", namespace: "shop", mtls: { expectedIdentities: ["spiffe://mesh.test/ns/shop/sa/db"] } }],
  identity,
  ...over,
});

describe("ProxyConfig security section", () => {
  it("accepts an identity, mTLS listeners and backends, JWT issuers and policies", () => {
    const result = validateProxyConfig(
      config({
        requestAuthentication: { issuers: [{ issuer: "https://idp", jwks: { source: "remote", uri: "https://idp/jwks" } }] },
        authorization: { policies: [{ name: "p", action: "ALLOW", rules: [{ from: { namespaces: ["shop"] } }] }] },
      }),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.identity?.fileCheckIntervalMs).toBe(1000);
    expect(result.config.identity?.revokedFingerprints).toBeUndefined();
    expect(result.config.requestAuthentication?.clockSkewSeconds).toBe(60);
    expect(result.config.requestAuthentication?.issuers[0]?.jwks).toMatchObject({ cacheMs: 300_000, minRefreshIntervalMs: 10_000 });
  });

  it("carries the fingerprints of revoked intermediates", () => {
    const fingerprint = "0123456789abcdef".repeat(4);
    const result = validateProxyConfig(config({ identity: { ...identity, revokedFingerprints: [fingerprint] } }));
    expect(result.ok && result.config.identity?.revokedFingerprints).toEqual([fingerprint]);
  });

  it.each([
    ["STRICT without an identity", config({ identity: undefined, backends: [] }), "listeners[0].mtlsMode", "needs an identity"],
    ["mTLS origination without an identity", config({ identity: undefined, listeners: [] }), "backends[0].mtls", "needs an identity"],
    [
      "tls and mtlsMode together",
      config({ listeners: [{ kind: "inbound", name: "inbound", port: 0, app: { port: 8080 }, mtlsMode: "PERMISSIVE", tls: { certPem: CERT, keyPem: KEY } }] }),
      "listeners[0].tls",
      "cannot be combined",
    ],
    ["a malformed key", config({ identity: { ...identity, svid: { ...identity.svid, keyPem: `-----BEGIN PRIVATE KEY-----\n${SECRET}` } } }), "identity.svid.keyPem", "one PEM private key"],
    ["a bad expected identity", config({ backends: [{ name: "db", service: "db", namespace: "shop", mtls: { expectedIdentities: ["db.shop"] } }] }), "backends[0].mtls.expectedIdentities[0]", "SPIFFE ID"],
    ["JWT on an unknown listener", config({ requestAuthentication: { issuers: [{ issuer: "i", jwks: { source: "file", path: "/k" } }], listeners: ["nope"] } }), "requestAuthentication.listeners[0]", "unknown listener"],
    ["an invalid inline JWKS", config({ requestAuthentication: { issuers: [{ issuer: "i", jwks: { source: "inline", jwks: '{"keys":[]}' } }] } }), "requestAuthentication.issuers[0].jwks.jwks", "at least one key"],
    ["a revoked fingerprint that is not SHA-256 hex", config({ identity: { ...identity, revokedFingerprints: ["AB:CD"] } }), "identity.revokedFingerprints[0]", "SHA-256"],
    ["a claim condition on a header", config({ authorization: { policies: [{ name: "p", action: "ALLOW", rules: [{ when: [{ key: "request.headers[x]", values: ["1"] }] }] }] } }), "authorization.policies[0].rules[0].when[0].key", "request.auth"],
  ])("refuses %s, naming the path and never the key", (_name, input, path, message) => {
    const result = validateProxyConfig(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toContainEqual({ path, message: expect.stringContaining(message) });
    expect(describeIssues(result.issues)).not.toContain(SECRET);
  });
});
