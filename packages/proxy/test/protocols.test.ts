// HTTP/2 (h2c and TLS + ALPN), gRPC with a real @grpc/grpc-js server and
// client, HTTP/1.1 response trailers, WebSocket and TCP passthrough, all on
// loopback through a real proxy.
import { createServer as createHttpServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import { connect as h2connect, createSecureServer, createServer as createH2Server, type ClientHttp2Session, type Http2Server, type Http2SecureServer } from "node:http2";
import { request as httpsRequest, type RequestOptions as HttpsRequestOptions } from "node:https";
import type { ConnectionOptions } from "node:tls";
import { connect as netConnect, createServer as createNetServer, type AddressInfo } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { generate } from "selfsigned";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { backend, closedPort, config, port, Stack, vhost } from "./harness.ts";

// ------------------------------------------------------------------ gRPC

interface Hello {
  name: string;
  delayMs?: number;
  count?: number;
}

const json = {
  serialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  deserialize: (b: Buffer) => JSON.parse(b.toString("utf8")) as Hello,
};

const greeterService: grpc.ServiceDefinition = {
  sayHello: {
    path: "/test.Greeter/SayHello",
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
  streamHellos: {
    path: "/test.Greeter/StreamHellos",
    requestStream: false,
    responseStream: true,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
};

type GreeterClient = grpc.Client & {
  sayHello(req: Hello, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Hello) => void): grpc.ClientUnaryCall;
  streamHellos(req: Hello, md?: grpc.Metadata, opts?: grpc.CallOptions): grpc.ClientReadableStream<Hello>;
};
const GreeterClient = grpc.makeGenericClientConstructor(greeterService, "Greeter") as unknown as new (
  address: string,
  creds: grpc.ChannelCredentials,
) => GreeterClient;

async function startGrpcServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = new grpc.Server();
  server.addService(greeterService, {
    sayHello: (call: grpc.ServerUnaryCall<Hello, Hello>, callback: grpc.sendUnaryData<Hello>) => {
      const trailer = new grpc.Metadata();
      trailer.set("x-trailer", "kept");
      trailer.set("x-echo-name", call.request.name);
      const reply = () => {
        if (call.request.name === "fail") callback({ code: grpc.status.FAILED_PRECONDITION, details: "no such greeting", metadata: trailer });
        else callback(null, { name: `hello ${call.request.name}` }, trailer);
      };
      if (call.request.delayMs) setTimeout(reply, call.request.delayMs);
      else reply();
    },
    streamHellos: (call: grpc.ServerWritableStream<Hello, Hello>) => {
      const n = call.request.count ?? 3;
      for (let i = 0; i < n; i++) call.write({ name: `hello ${call.request.name} #${i}` });
      const trailer = new grpc.Metadata();
      trailer.set("x-stream-count", String(n));
      call.end(trailer);
    },
  });
  const p = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  return { port: p, close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
}

function unary(client: GreeterClient, req: Hello, deadlineMs = 5000): Promise<{ err: grpc.ServiceError | null; res?: Hello; trailers?: grpc.Metadata }> {
  return new Promise((resolve) => {
    let trailers: grpc.Metadata | undefined;
    let result: { err: grpc.ServiceError | null; res?: Hello } | undefined;
    let status = false;
    const call = client.sayHello(req, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err, res) => {
      result = { err, res };
      if (status) resolve({ ...result, trailers });
    });
    call.on("status", (s: grpc.StatusObject) => {
      trailers = s.metadata;
      status = true;
      if (result) resolve({ ...result, trailers });
    });
  });
}

describe("gRPC through the proxy", () => {
  const stack = new Stack();
  let client: GreeterClient | undefined;
  afterEach(async () => {
    client?.close();
    client = undefined;
    await stack.close();
  });

  async function setup(rule: Record<string, unknown> = {}, target?: number) {
    const server = await startGrpcServer();
    stack.defer(() => server.close());
    const upstreamPort = target ?? server.port;
    const proxy = await stack.proxy(
      config({
        listeners: [
          { kind: "outbound", name: "greeter", port: 0, virtualHost: "greeter.default" },
          { kind: "admin", name: "admin", port: 0 },
        ],
        backends: [backend("greeter.default", [{ port: upstreamPort }], { protocol: "http2" })],
        virtualHosts: [vhost("greeter", [{ backendRefs: [{ backend: "greeter.default" }], ...rule }])],
      }),
    );
    client = new GreeterClient(`127.0.0.1:${port(proxy, "greeter")}`, grpc.credentials.createInsecure());
    return { proxy, client };
  }

  it("forwards unary calls with response trailers (custom trailing metadata) intact", async () => {
    const { proxy, client } = await setup();
    const ok = await unary(client, { name: "weft" });
    expect(ok.err).toBeNull();
    expect(ok.res).toEqual({ name: "hello weft" });
    expect(ok.trailers?.get("x-trailer")).toEqual(["kept"]);
    expect(ok.trailers?.get("x-echo-name")).toEqual(["weft"]);

    const failed = await unary(client, { name: "fail" });
    expect(failed.err?.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(failed.err?.details).toBe("no such greeting");
    expect(failed.trailers?.get("x-trailer")).toEqual(["kept"]);
    await expect.poll(() => proxy.edges.count({ destination_service: "greeter", grpc_status: "9" })).toBe(1);
    expect(proxy.edges.count({ destination_service: "greeter", grpc_status: "0", response_code: "200" })).toBe(1);
  });

  it("streams server-streaming responses and their trailers", async () => {
    const { client } = await setup();
    const call = client.streamHellos({ name: "s", count: 50 });
    const got: string[] = [];
    call.on("data", (m: Hello) => got.push(m.name));
    const status = await new Promise<grpc.StatusObject>((resolve) => call.on("status", resolve));
    expect(status.code).toBe(grpc.status.OK);
    expect(got).toHaveLength(50);
    expect(got[49]).toBe("hello s #49");
    expect(status.metadata.get("x-stream-count")).toEqual(["50"]);
  });

  it("honours grpc-timeout: DEADLINE_EXCEEDED at the client, flagged UT by the proxy", async () => {
    // The proxy answers grpcTimeoutOffsetMs (here capped at a tenth of the deadline: 100 ms) before the client gives up, so it records the deadline even on a loaded machine.
    const { proxy, client } = await setup({ timeouts: { grpcTimeoutOffsetMs: 200 } });
    const r = await unary(client, { name: "slow", delayMs: 3000 }, 1000);
    expect(r.err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await expect.poll(() => proxy.edges.count({ destination_service: "greeter", response_flags: "UT", grpc_status: "4" })).toBe(1);
  });

  it("answers the route timeout with a trailers-only DEADLINE_EXCEEDED", async () => {
    const { proxy, client } = await setup({ timeouts: { requestMs: 100 } });
    const started = Date.now();
    const r = await unary(client, { name: "slow", delayMs: 2000 }, 10_000);
    expect(r.err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(r.err?.details).toBe("upstream timeout");
    expect(Date.now() - started).toBeLessThan(1500);
    expect(r.trailers?.get("x-weft-flags")).toEqual(["UT"]);
    await expect.poll(() => proxy.edges.count({ response_flags: "UT", grpc_status: "4", response_code: "200" })).toBe(1);
  });

  it("answers an unreachable upstream with UNAVAILABLE (14) and flag UF", async () => {
    const { client } = await setup({}, await closedPort());
    const r = await unary(client, { name: "x" });
    expect(r.err?.code).toBe(grpc.status.UNAVAILABLE);
    expect(r.err?.details).toBe("upstream connect failure");
    expect(r.trailers?.get("x-weft-flags")).toEqual(["UF"]);
  });
});

// --------------------------------------------------- HTTP/2, TLS, trailers

interface Cert {
  cert: string;
  key: string;
}

let tlsCert: Cert;
beforeAll(async () => {
  // A throwaway self-signed certificate, generated per run and never written to disk.
  const pems = await generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    curve: "P-256",
    notAfterDate: new Date(Date.now() + 24 * 3600 * 1000),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }] },
    ],
  });
  tlsCert = { cert: pems.cert, key: pems.private };
});

function h2get(session: ClientHttp2Session, path: string, headers: Record<string, string> = {}): Promise<{ headers: IncomingHttpHeaders; body: string; trailers?: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":path": path, ...headers });
    let responseHeaders: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders | undefined;
    let body = "";
    stream.on("response", (h) => (responseHeaders = h as IncomingHttpHeaders));
    stream.on("trailers", (t) => (trailers = t as IncomingHttpHeaders));
    stream.setEncoding("utf8");
    stream.on("data", (c: string) => (body += c));
    stream.on("end", () => resolve({ headers: responseHeaders, body, trailers }));
    stream.on("error", reject);
    stream.end();
  });
}

describe("HTTP/2 and TLS", () => {
  const stack = new Stack();
  const clients: (() => void)[] = [];
  const closers: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    // Clients, then the proxy (its HTTP/2 sessions hold the upstreams open), then the upstreams.
    for (const c of clients.splice(0)) c();
    await stack.close();
    for (const c of closers.splice(0).reverse()) await c();
  });

  /** An HTTP/2 upstream (h2c, or h2 over TLS) answering with its protocol and a trailer. */
  async function h2Upstream(tls?: Cert): Promise<number> {
    const server: Http2Server | Http2SecureServer = tls ? createSecureServer({ cert: tls.cert, key: tls.key }) : createH2Server();
    server.on("stream", (stream, headers) => {
      stream.respond({ ":status": 200, "content-type": "text/plain", "x-path": String(headers[":path"]) }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "x-checksum": "abc123" }));
      stream.end(`h2 upstream saw ${String(headers[":authority"])}`);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    return (server.address() as AddressInfo).port;
  }

  /** An HTTP/1.1 upstream that answers chunked with a trailer. */
  async function h1TrailerUpstream(): Promise<number> {
    const server: Server = createHttpServer((req, res) => {
      res.writeHead(200, { "content-type": "text/plain", trailer: "x-checksum" });
      res.write("part one, ");
      res.addTrailers({ "x-checksum": "h1sum" });
      res.end(`${req.httpVersion} upstream`);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise<void>((r) => (server.close(() => r()), server.closeAllConnections())));
    return (server.address() as AddressInfo).port;
  }

  function session(url: string, options: Parameters<typeof h2connect>[1] = {}): ClientHttp2Session {
    const s = h2connect(url, options);
    s.on("error", () => undefined);
    clients.push(() => s.destroy());
    return s;
  }

  it("accepts h2c with prior knowledge and HTTP/1.1 on the same port, and forwards trailers both ways", async () => {
    const h1 = await h1TrailerUpstream();
    const h2 = await h2Upstream();
    const proxy = await stack.proxy(
      config({
        backends: [backend("old.default", [{ port: h1 }]), backend("new.default", [{ port: h2 }], { protocol: "http2" })],
        virtualHosts: [vhost("old", [{ backendRefs: [{ backend: "old.default" }] }]), vhost("new", [{ backendRefs: [{ backend: "new.default" }] }])],
      }),
    );
    const p = port(proxy);
    const s = session(`http://127.0.0.1:${p}`);
    const viaH2 = await h2get(s, "/x?y=1", { ":authority": `new.default:${p}` });
    expect(viaH2.headers[":status"]).toBe(200);
    expect(viaH2.headers["x-path"]).toBe("/x?y=1");
    expect(viaH2.body).toBe(`h2 upstream saw new.default:${p}`);
    expect(viaH2.trailers?.["x-checksum"]).toBe("abc123");

    const s2 = session(`http://127.0.0.1:${p}`);
    const h2ToH1 = await h2get(s2, "/", { ":authority": "old" });
    expect(h2ToH1.body).toBe("part one, 1.1 upstream");
    expect(h2ToH1.trailers?.["x-checksum"]).toBe("h1sum");

    // HTTP/1.1 client: chunked response with trailers, from an HTTP/1.1 and from an HTTP/2 upstream.
    for (const host of ["old", "new"]) {
      const { body, trailers } = await new Promise<{ body: string; trailers: IncomingHttpHeaders }>((resolve, reject) => {
        const req = httpRequest({ host: "127.0.0.1", port: p, path: "/", headers: { host, te: "trailers" }, agent: false }, (res) => {
          let b = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (b += c));
          res.on("end", () => resolve({ body: b, trailers: res.trailers }));
        });
        req.on("error", reject);
        req.end();
      });
      expect(body.length).toBeGreaterThan(0);
      expect(trailers["x-checksum"]).toBe(host === "old" ? "h1sum" : "abc123");
    }
  });

  it("terminates TLS with ALPN (h2 and http/1.1) and connects to a TLS HTTP/2 upstream", async () => {
    const h2 = await h2Upstream(tlsCert);
    const proxy = await stack.proxy(
      config({
        listeners: [
          { kind: "outbound", name: "outbound", port: 0, tls: { certPem: tlsCert.cert, keyPem: tlsCert.key } },
          { kind: "admin", name: "admin", port: 0 },
        ],
        backends: [backend("secure.default", [{ port: h2 }], { protocol: "http2", tls: { caPem: tlsCert.cert, serverName: "localhost" } })],
        virtualHosts: [vhost("secure", [{ backendRefs: [{ backend: "secure.default" }] }])],
      }),
    );
    const p = port(proxy);
    const s = session(`https://127.0.0.1:${p}`, { ca: tlsCert.cert, servername: "localhost" });
    await new Promise<void>((r) => s.once("connect", () => r()));
    expect(s.alpnProtocol).toBe("h2");
    const viaH2 = await h2get(s, "/tls", { ":authority": "secure" });
    expect(viaH2.headers[":status"]).toBe(200);
    expect(viaH2.body).toBe("h2 upstream saw secure");
    expect(viaH2.trailers?.["x-checksum"]).toBe("abc123");

    const viaH1 = await new Promise<{ status: number; alpn: string | false; body: string }>((resolve, reject) => {
      const options: HttpsRequestOptions & ConnectionOptions = { host: "127.0.0.1", servername: "localhost", port: p, path: "/tls", ca: tlsCert.cert, ALPNProtocols: ["http/1.1"], headers: { host: "secure" }, agent: false };
      const req = httpsRequest(options, (res) => {
        let b = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (b += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, alpn: (res.socket as unknown as { alpnProtocol: string | false }).alpnProtocol, body: b }));
      });
      req.on("error", reject);
      req.end();
    });
    expect(viaH1).toEqual({ status: 200, alpn: "http/1.1", body: "h2 upstream saw secure" });
  });
});

// ------------------------------------------------------- WebSocket and TCP

describe("WebSocket and TCP passthrough", () => {
  const stack = new Stack();
  afterEach(() => stack.close());
  afterAll(() => stack.close());

  it("proxies a WebSocket upgrade and pipes frames both ways", async () => {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise<void>((r) => wss.once("listening", () => r()));
    wss.on("connection", (ws, req) => {
      ws.send(`welcome ${req.url ?? ""}`);
      ws.on("message", (data, isBinary) => ws.send(isBinary ? data : `echo ${String(data)}`, { binary: isBinary }));
    });
    stack.defer(() => new Promise<void>((r) => (wss.clients.forEach((c) => c.terminate()), wss.close(() => r()))));
    const proxy = await stack.proxy(
      config({
        backends: [backend("chat.default", [{ port: (wss.address() as AddressInfo).port }])],
        virtualHosts: [vhost("chat", [{ matches: [{ path: { type: "PathPrefix", value: "/ws" } }], backendRefs: [{ backend: "chat.default" }] }])],
      }),
    );
    const ws = new WebSocket(`ws://127.0.0.1:${port(proxy)}/ws/room1`, { headers: { host: "chat" } });
    const received: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      ws.on("error", reject);
      ws.on("message", (data) => {
        received.push(String(data));
        if (received.length === 1) ws.send("ping");
        else if (received.length === 2) ws.send(Buffer.alloc(256 * 1024, 7));
        else resolve();
      });
    });
    await done;
    expect(received[0]).toBe("welcome /ws/room1");
    expect(received[1]).toBe("echo ping");
    expect(received[2]).toHaveLength(256 * 1024);
    ws.close();
    await new Promise<void>((r) => ws.once("close", () => r()));
    await expect.poll(() => proxy.edges.count({ destination_service: "chat", response_code: "101" })).toBe(1);

    // No route: the upgrade is answered 404 and the socket closed.
    const miss = new WebSocket(`ws://127.0.0.1:${port(proxy)}/other`, { headers: { host: "chat" } });
    miss.on("error", () => undefined);
    const status = await new Promise<number>((resolve) => miss.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)));
    miss.terminate();
    expect(status).toBe(404);
  });

  it("pipes TCP connections to the backend's endpoints, failing over a dead one", async () => {
    const echo = createNetServer((socket) => {
      socket.on("error", () => undefined);
      socket.pipe(socket);
    });
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
    stack.defer(() => new Promise<void>((r) => echo.close(() => r())));
    const dead = await closedPort();
    const proxy = await stack.proxy(
      config({
        listeners: [
          { kind: "tcp", name: "redis", port: 0, backend: "redis.default" },
          { kind: "admin", name: "admin", port: 0 },
        ],
        backends: [
          backend("redis.default", [{ port: dead }, { port: (echo.address() as AddressInfo).port }], { loadBalancer: { algorithm: "round-robin" }, policy: { connectTimeoutMs: 500 } }),
        ],
      }),
    );
    const payload = Buffer.alloc(2 * 1024 * 1024, 0xab);
    for (let i = 0; i < 4; i++) {
      const got = await new Promise<Buffer>((resolve, reject) => {
        const socket = netConnect(port(proxy, "redis"), "127.0.0.1");
        const chunks: Buffer[] = [];
        let n = 0;
        socket.on("data", (c: Buffer) => {
          chunks.push(c);
          n += c.length;
          if (n >= payload.length) socket.end();
        });
        socket.on("error", reject);
        socket.on("close", () => resolve(Buffer.concat(chunks)));
        socket.write(payload);
      });
      expect(got.equals(payload)).toBe(true);
    }
    await expect.poll(() => proxy.metricsText()).toContain('weft_tcp_connections_total{listener="redis",destination_service="redis",response_flags="-"} 4');
    expect(proxy.metricsText()).toContain(`weft_tcp_bytes_total{listener="redis",direction="received"} ${4 * payload.length}`);
  });
});
