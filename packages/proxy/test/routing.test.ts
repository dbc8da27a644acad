import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { backend, config, port, send, Stack, startUpstream, vhost, type Upstream } from "./harness.ts";

const stack = new Stack();
afterEach(() => stack.close());

describe("outbound routing by match kind", () => {
  // One upstream per rule; the response names the upstream that served it.
  async function setup() {
    const names = ["exact", "prefix", "regex", "header", "header-regex", "query", "method", "fallback"] as const;
    const ups = {} as Record<(typeof names)[number], Upstream>;
    for (const n of names) ups[n] = await stack.upstream(n);
    const ref = (n: string) => [{ backend: `${n}.default` }];
    const proxy = await stack.proxy(
      config({
        backends: names.map((n) => backend(`${n}.default`, [ups[n]])),
        virtualHosts: [
          vhost("shop", [
            { matches: [{ path: { type: "Exact", value: "/exact" } }], backendRefs: ref("exact") },
            { matches: [{ path: { type: "PathPrefix", value: "/api" } }], backendRefs: ref("prefix") },
            { matches: [{ path: { type: "RegularExpression", value: "/items/[0-9]+" } }], backendRefs: ref("regex") },
            { matches: [{ headers: [{ type: "Exact", name: "x-canary", value: "yes" }] }], backendRefs: ref("header") },
            { matches: [{ headers: [{ type: "RegularExpression", name: "x-user", value: "admin-.*" }] }], backendRefs: ref("header-regex") },
            { matches: [{ queryParams: [{ type: "Exact", name: "debug", value: "1" }] }], backendRefs: ref("query") },
            { matches: [{ method: "DELETE" }], backendRefs: ref("method") },
            { backendRefs: ref("fallback") },
          ]),
        ],
      }),
    );
    return port(proxy);
  }

  it.each([
    ["Exact path", { path: "/exact" }, "exact"],
    ["Exact path does not match a longer path", { path: "/exact/more" }, "fallback"],
    ["PathPrefix", { path: "/api/v1/users" }, "prefix"],
    ["PathPrefix is element-wise", { path: "/apis" }, "fallback"],
    ["RegularExpression path", { path: "/items/42" }, "regex"],
    ["RegularExpression is anchored", { path: "/items/42x" }, "fallback"],
    ["Exact header", { path: "/x", headers: { "x-canary": "yes" } }, "header"],
    ["RegularExpression header", { path: "/x", headers: { "x-user": "admin-7" } }, "header-regex"],
    ["query parameter", { path: "/x?debug=1" }, "query"],
    ["method", { path: "/x", method: "DELETE" }, "method"],
    ["catch-all", { path: "/x" }, "fallback"],
  ])("%s", async (_name, req, expected) => {
    const p = await setup();
    for (const absolute of [false, true]) {
      const res = await send({ port: p, host: "shop", absolute, ...req });
      expect(res.status).toBe(200);
      expect(res.headers["x-upstream"]).toBe(expected);
    }
  });

  it("resolves every domain form of the service, with or without a port", async () => {
    const p = await setup();
    for (const host of ["shop", "shop.default", "shop.default.svc.cluster.local", "SHOP.default:8080"]) {
      const res = await send({ port: p, host, path: "/exact" });
      expect(res.headers["x-upstream"], host).toBe("exact");
    }
  });

  it("absolute-form authority wins over the Host header", async () => {
    const p = await setup();
    const res = await send({ port: p, path: "http://shop/exact", headers: { host: "elsewhere" } });
    expect(res.headers["x-upstream"]).toBe("exact");
  });

  it.each([
    ["unknown host", { host: "nobody", path: "/" }],
    ["no matching rule", { host: "strict", path: "/other" }],
  ])("answers 404 with flag NR for %s", async (_name, req) => {
    const up = await stack.upstream("u");
    const proxy = await stack.proxy(
      config({ backends: [backend("strict.default", [up])], virtualHosts: [vhost("strict", [{ matches: [{ path: { type: "Exact", value: "/only" } }], backendRefs: [{ backend: "strict.default" }] }])] }),
    );
    const res = await send({ port: port(proxy), ...req });
    expect(res.status).toBe(404);
    expect(res.headers["x-weft-flags"]).toBe("NR");
    expect(up.seen).toHaveLength(0);
  });
});

describe("filters", () => {
  async function setup(rule: Parameters<typeof vhost>[1][number]) {
    const up = await stack.upstream("up");
    const proxy = await stack.proxy(config({ backends: [backend("svc.default", [up])], virtualHosts: [vhost("svc", [{ ...rule, backendRefs: [{ backend: "svc.default" }] }])] }));
    return { up, p: port(proxy) };
  }

  it("modifies request headers (remove, set, add)", async () => {
    const { up, p } = await setup({
      filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { remove: ["x-drop"], set: [{ name: "x-set", value: "new" }], add: [{ name: "x-add", value: "b" }] } }],
    });
    await send({ port: p, host: "svc", headers: { "x-drop": "1", "x-set": "old", "x-add": "a" } });
    const h = up.seen[0]?.headers ?? {};
    expect(h["x-drop"]).toBeUndefined();
    expect(h["x-set"]).toBe("new");
    expect(h["x-add"]).toBe("a, b");
  });

  it("modifies response headers", async () => {
    const { p } = await setup({ filters: [{ type: "ResponseHeaderModifier", responseHeaderModifier: { set: [{ name: "x-served-by", value: "weft" }], remove: ["x-upstream"] } }] });
    const res = await send({ port: p, host: "svc" });
    expect(res.headers["x-served-by"]).toBe("weft");
    expect(res.headers["x-upstream"]).toBeUndefined();
  });

  it("rewrites the path prefix and hostname, keeping the query", async () => {
    const { up, p } = await setup({
      matches: [{ path: { type: "PathPrefix", value: "/old" } }],
      filters: [{ type: "URLRewrite", urlRewrite: { hostname: "internal.svc", path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/new" } } }],
    });
    await send({ port: p, host: "svc", path: "/old/page?x=1" });
    expect(up.seen[0]?.url).toBe("/new/page?x=1");
    expect(up.seen[0]?.headers.host).toBe("internal.svc");
  });

  it("rewrites the full path", async () => {
    const { up, p } = await setup({ filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplaceFullPath", replaceFullPath: "/fixed" } } }] });
    await send({ port: p, host: "svc", path: "/anything/else" });
    expect(up.seen[0]?.url).toBe("/fixed");
  });

  it("applies a backend's own filters only when that backend is picked, after the rule's (a canary's session cookie)", async () => {
    const stable = await stack.upstream("stable");
    const canary = await stack.upstream("canary");
    const proxy = await stack.proxy(
      config({
        backends: [backend("svc.default/v1", [stable]), backend("svc.default/v2", [canary])],
        virtualHosts: [
          vhost("svc", [
            {
              filters: [{ type: "ResponseHeaderModifier", responseHeaderModifier: { set: [{ name: "x-rule", value: "1" }] } }],
              backendRefs: [
                { backend: "svc.default/v1", weight: 1 },
                {
                  backend: "svc.default/v2",
                  weight: 1,
                  filters: [
                    { type: "ResponseHeaderModifier", responseHeaderModifier: { add: [{ name: "Set-Cookie", value: "weft-canary=run-1; Path=/" }] } },
                    { type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "x-canary", value: "yes" }] } },
                  ],
                },
              ],
            },
          ]),
        ],
      }),
    );
    const replies: Awaited<ReturnType<typeof send>>[] = [];
    for (let i = 0; i < 40; i++) replies.push(await send({ port: port(proxy), host: "svc" }));
    const byUpstream = (name: string) => replies.filter((r) => r.headers["x-upstream"] === name);
    expect(byUpstream("canary").length).toBeGreaterThan(0);
    expect(byUpstream("stable").length).toBeGreaterThan(0);
    for (const r of byUpstream("canary")) expect([r.headers["set-cookie"], r.headers["x-rule"]]).toEqual([["weft-canary=run-1; Path=/"], "1"]);
    for (const r of byUpstream("stable")) expect([r.headers["set-cookie"], r.headers["x-rule"]]).toEqual([undefined, "1"]);
    expect(canary.seen.every((s) => s.headers["x-canary"] === "yes")).toBe(true);
    expect(stable.seen.every((s) => s.headers["x-canary"] === undefined)).toBe(true);
  });

  it("redirects without calling the backend", async () => {
    const { up, p } = await setup({ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", hostname: "secure.example", statusCode: 301 } }] });
    const res = await send({ port: p, host: "svc:8080", path: "/a?b=c" });
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe("https://secure.example/a?b=c");
    expect(up.seen).toHaveLength(0);
  });
});

describe("forwarding", () => {
  it("removes hop-by-hop headers and sets X-Forwarded-*", async () => {
    const up = await stack.upstream("up", (_req, res) => {
      res.writeHead(200, { "keep-alive": "timeout=5", "x-hop": "secret", connection: "x-hop", "proxy-authenticate": "Basic", "x-end": "kept" });
      res.end("ok");
    });
    const proxy = await stack.proxy(config({ backends: [backend("svc.default", [up])], virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "svc.default" }] }])] }));
    const res = await send({
      port: port(proxy),
      host: "svc",
      headers: { connection: "x-secret, keep-alive", "x-secret": "1", te: "trailers", "proxy-authorization": "Basic Zm9v", "x-forwarded-for": "10.1.1.1", "x-keep": "yes" },
    });
    const h = up.seen[0]?.headers ?? {};
    for (const name of ["x-secret", "te", "proxy-authorization", "upgrade", "trailer"]) expect(h[name], name).toBeUndefined();
    expect(h["x-keep"]).toBe("yes");
    expect(h.host).toBe("svc");
    expect(h["x-forwarded-for"]).toBe("10.1.1.1, 127.0.0.1");
    expect(h["x-forwarded-proto"]).toBe("http");
    expect(h["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers["x-hop"]).toBeUndefined();
    expect(res.headers["proxy-authenticate"]).toBeUndefined();
    expect(res.headers["x-end"]).toBe("kept");
  });

  it("streams large bodies both ways intact", async () => {
    const up = await stack.upstream("up", (_req, res, body) => {
      // Echo the body back twice, chunked.
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.write(body);
      res.end(body);
    });
    const proxy = await stack.proxy(config({ backends: [backend("svc.default", [up])], virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "svc.default" }] }])] }));
    const payload = Buffer.alloc(3 * 1024 * 1024, "weft-");
    const res = await send({ port: port(proxy), host: "svc", method: "POST", body: payload });
    expect(res.status).toBe(200);
    expect(up.seen[0]?.bodyLength).toBe(payload.length);
    const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
    expect(sha(Buffer.from(res.body, "utf8"))).toBe(sha(Buffer.concat([payload, payload])));
  });

  it("serves a per-upstream port whatever the Host header", async () => {
    const up = await stack.upstream("pinned");
    const proxy = await stack.proxy(
      config({
        listeners: [{ kind: "outbound", name: "to-svc", port: 0, virtualHost: "svc.default" }],
        backends: [backend("svc.default", [up])],
        virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "svc.default" }] }])],
      }),
    );
    const res = await send({ port: port(proxy, "to-svc"), host: "localhost:1234" });
    expect(res.headers["x-upstream"]).toBe("pinned");
  });

  it("inbound listener forwards to the local app", async () => {
    const app = await startUpstream("app");
    stack.defer(() => app.close());
    const proxy = await stack.proxy(
      config({ listeners: [{ kind: "inbound", name: "inbound", port: 0, app: { port: app.port } }, { kind: "admin", name: "admin", port: 0 }] }),
    );
    const res = await send({ port: port(proxy, "inbound"), host: "frontend.default", path: "/hello?x=1", method: "PUT", body: "data" });
    expect(res.status).toBe(200);
    expect(app.seen[0]).toMatchObject({ method: "PUT", url: "/hello?x=1", bodyLength: 4 });
    expect(app.seen[0]?.headers["x-forwarded-for"]).toBe("127.0.0.1");
  });
});
