import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ProxyConfigSchema, type ProxyConfigInput } from "./proxy-config.schema.ts";
import { describeIssues, parseProxyConfigDocument, ProxyConfigParseError, validateProxyConfig } from "./proxy-config.validate.ts";

// Walks object shapes through wrappers, arrays and unions; a field counts as
// described when the field schema or any wrapper around it has a description.
function undescribedFields(schema: z.ZodType, path = "", seen = new Set<z.ZodType>()): string[] {
  if (seen.has(schema)) return [];
  seen.add(schema);
  const def = schema._zod.def as { type: string; innerType?: z.ZodType; element?: z.ZodType; options?: z.ZodType[]; shape?: Record<string, z.ZodType> };
  if (def.innerType) return undescribedFields(def.innerType, path, seen);
  if (def.type === "array" && def.element) return undescribedFields(def.element, `${path}[]`, seen);
  if (def.type === "union" && def.options) return def.options.flatMap((o) => undescribedFields(o, path, seen));
  if (def.type !== "object" || !def.shape) return [];
  const missing: string[] = [];
  for (const [key, field] of Object.entries(def.shape)) {
    const fieldPath = path ? `${path}.${key}` : key;
    let described = false;
    for (let s: z.ZodType | undefined = field; s; s = (s._zod.def as { innerType?: z.ZodType }).innerType) {
      if (s.description) described = true;
    }
    if (!described) missing.push(fieldPath);
    missing.push(...undescribedFields(field, fieldPath, seen));
  }
  return missing;
}

const base = (): ProxyConfigInput => ({
  version: "1",
  node: { service: "productpage", namespace: "default" },
  listeners: [{ kind: "outbound", name: "out", port: 15001 }],
  virtualHosts: [
    {
      name: "reviews.default",
      domains: ["reviews", "reviews.default"],
      routes: [
        {
          name: "reviews",
          namespace: "default",
          creationTimestamp: "2024-01-01T00:00:00Z",
          rules: [{ backendRefs: [{ backend: "reviews-v1" }] }],
        },
      ],
    },
  ],
  backends: [{ name: "reviews-v1", service: "reviews", namespace: "default", endpoints: [{ address: "10.0.0.1", port: 9080 }] }],
});

describe("ProxyConfigSchema defaults", () => {
  it("fills defaults for a minimal config", () => {
    const config = ProxyConfigSchema.parse(base());
    const rule = config.virtualHosts[0]?.routes[0]?.rules[0];
    expect(rule?.matches).toEqual([{ path: { type: "PathPrefix", value: "/" }, headers: [], queryParams: [] }]);
    expect(rule?.backendRefs[0]?.weight).toBe(1);
    const backend = config.backends[0];
    expect(backend?.loadBalancer).toEqual({ algorithm: "ewma" });
    expect(backend?.policy.retryBudget).toEqual({ ratio: 0.2, minRetriesPerSecond: 10, windowMs: 10_000 });
    expect(backend?.endpoints[0]).toMatchObject({ health: "healthy", weight: 1, locality: {} });
    expect(config.limits).toEqual({ maxHeaderBytes: 16384, maxHeaderCount: 100, maxUriLength: 8192, retryBufferBytes: 65536 });
    expect(config.listeners[0]).toMatchObject({ address: "127.0.0.1" });
  });

  it("describes every field, at every depth", () => {
    expect(undescribedFields(ProxyConfigSchema)).toEqual([]);
  });

  it("the description walker finds undescribed fields", () => {
    const probe = z.object({
      a: z.string(),
      b: z.array(z.discriminatedUnion("k", [z.object({ k: z.literal("x").describe("k"), c: z.number().optional() })])).describe("b"),
    });
    expect(undescribedFields(probe)).toEqual(["a", "b[].c"]);
  });
});

describe("validateProxyConfig", () => {
  type Case = [string, (c: ProxyConfigInput) => void, string];
  const cases: Case[] = [
    ["unknown backend", (c) => { c.virtualHosts![0]!.routes![0]!.rules[0]!.backendRefs = [{ backend: "nope" }]; }, "virtualHosts[0].routes[0].rules[0].backendRefs[0].backend: unknown backend 'nope'"],
    ["duplicate listener", (c) => { c.listeners!.push({ kind: "admin", name: "out", port: 15000 }); }, "listeners[1].name: duplicate name 'out'"],
    ["port clash", (c) => { c.listeners!.push({ kind: "admin", name: "admin", port: 15001 }); }, "listeners[1].port: 127.0.0.1:15001 is already used by listeners[0]"],
    ["bad regex", (c) => { c.virtualHosts![0]!.routes![0]!.rules[0]!.matches = [{ path: { type: "RegularExpression", value: "(" } }]; }, "virtualHosts[0].routes[0].rules[0].matches[0].path.value: must be a valid ECMAScript regular expression"],
    ["relative path", (c) => { c.virtualHosts![0]!.routes![0]!.rules[0]!.matches = [{ path: { type: "Exact", value: "a" } }]; }, "virtualHosts[0].routes[0].rules[0].matches[0].path.value: must start with '/'"],
    ["header value with CRLF", (c) => { c.virtualHosts![0]!.routes![0]!.rules[0]!.filters = [{ type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "x", value: "a\r\nb: c" }] } }]; }, "virtualHosts[0].routes[0].rules[0].filters[0].requestHeaderModifier.set[0].value: must not contain CR, LF or NUL"],
    ["prefix replace on exact match", (c) => { c.virtualHosts![0]!.routes![0]!.rules[0]!.matches = [{ path: { type: "Exact", value: "/a" } }]; c.virtualHosts![0]!.routes![0]!.rules[0]!.filters = [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/b" } } }]; }, "virtualHosts[0].routes[0].rules[0].matches[0].path.type: ReplacePrefixMatch needs PathPrefix matches"],
    ["unknown per-upstream virtual host", (c) => { c.listeners!.push({ kind: "outbound", name: "out2", port: 15002, virtualHost: "ghost" }); }, "listeners[1].virtualHost: unknown virtual host 'ghost'"],
    ["domain on two virtual hosts", (c) => { c.virtualHosts!.push({ name: "other", domains: ["reviews"] }); }, "virtualHosts[1].domains[0]: domain 'reviews' is also served by virtual host 'reviews.default'"],
    ["missing version", (c) => { (c as { version?: string }).version = undefined; }, "version:"],
  ];
  it.each(cases)("refuses %s with its path", (_name, mutate, expected) => {
    const c = base();
    mutate(c);
    const result = validateProxyConfig(c);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(describeIssues(result.issues)).toContain(expected);
  });

  it("collects every issue, not only the first", () => {
    const c = base();
    c.virtualHosts![0]!.routes![0]!.rules[0]!.backendRefs = [{ backend: "x" }, { backend: "y" }];
    const result = validateProxyConfig(c);
    expect(result.ok ? [] : result.issues.map((i) => i.path)).toEqual([
      "virtualHosts[0].routes[0].rules[0].backendRefs[0].backend",
      "virtualHosts[0].routes[0].rules[0].backendRefs[1].backend",
    ]);
  });

  it("accepts the base config", () => {
    expect(validateProxyConfig(base()).ok).toBe(true);
  });
});

describe("parseProxyConfigDocument", () => {
  it.each([
    ["yaml", "version: '2'\nnode: {service: a, namespace: b}\n"],
    ["json", '{"version": "2", "node": {"service": "a", "namespace": "b"}}'],
  ])("parses %s", (_kind, text) => {
    const result = validateProxyConfig(parseProxyConfigDocument(text));
    expect(result.ok && result.config.version).toBe("2");
  });

  it("throws a typed error on malformed text", () => {
    expect(() => parseProxyConfigDocument("a: [1, 2")).toThrow(ProxyConfigParseError);
  });
});

describe("gateway listeners", () => {
  const gateway = (routes: { sni: string; backend: string }[], backends: ProxyConfigInput["backends"] = []): ProxyConfigInput => ({
    version: "1",
    node: { service: "east-west-gateway", namespace: "weft-system" },
    listeners: [{ kind: "gateway", name: "gateway", port: 15443, routes }],
    backends,
  });
  const plain = { name: "reviews", service: "reviews", namespace: "shop", endpoints: [{ address: "127.0.0.1", port: 9080 }] };

  it("accepts routes to plain backends, with defaults", () => {
    const result = validateProxyConfig(gateway([{ sni: "9080.any.reviews.shop.weft.internal", backend: "reviews" }], [plain]));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.config.listeners[0]).toMatchObject({ kind: "gateway", address: "127.0.0.1", clientHelloTimeoutMs: 10_000 });
  });

  it("names every broken route by its path", () => {
    const result = validateProxyConfig(
      gateway(
        [
          { sni: "a.weft.internal", backend: "missing" },
          { sni: "a.weft.internal", backend: "reviews" },
          { sni: "b.weft.internal", backend: "tls" },
          { sni: "10.0.0.1", backend: "reviews" },
        ],
        [plain, { ...plain, name: "tls", tls: { serverName: "x" } }],
      ),
    );
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.issues.map((i) => i.path).sort()).toEqual(["listeners[0].routes[0].backend", "listeners[0].routes[1].sni", "listeners[0].routes[2].backend", "listeners[0].routes[3].sni"]);
  });

  it("accepts an endpoint sni and refuses a malformed one", () => {
    const withSni = (sni: string) => validateProxyConfig(gateway([], [{ ...plain, endpoints: [{ address: "127.0.0.1", port: 15443, sni }] }]));
    expect(withSni("9080.v2.reviews.shop.weft.internal").ok).toBe(true);
    expect(withSni("Upper.Case").ok).toBe(false);
    expect(withSni("trailing.dot.").ok).toBe(false);
  });
});
