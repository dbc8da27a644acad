// Test harness: real upstream servers and a real proxy on 127.0.0.1
// ephemeral ports, plus a client that speaks to the proxy the way an app does.
import { createServer, request as httpRequest, type Agent, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, type AddressInfo } from "node:net";
import type { ProxyConfigInput } from "@weft/mesh-model/proxy-config";
import { WeftProxy, type ProxyOptions } from "../src/index.ts";

export interface Upstream {
  name: string;
  port: number;
  /** Requests received, in order. */
  seen: { method: string; url: string; headers: IncomingHttpHeaders; bodyLength: number }[];
  server: Server;
  close(): Promise<void>;
}

export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer, upstream: Upstream) => void;

/** Answers 200 with JSON describing what arrived. */
export const echo: UpstreamHandler = (req, res, body, upstream) => {
  const payload = JSON.stringify({ upstream: upstream.name, method: req.method, url: req.url, headers: req.headers, bodyLength: body.length });
  res.writeHead(200, { "content-type": "application/json", "x-upstream": upstream.name });
  res.end(payload);
};

/** Starts an HTTP server on 127.0.0.1:0 that records each request, then calls `handler`. */
export async function startUpstream(name: string, handler: UpstreamHandler = echo): Promise<Upstream> {
  const server = createServer();
  const upstream: Upstream = {
    name,
    port: 0,
    seen: [],
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", () => undefined);
    res.on("error", () => undefined);
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      upstream.seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, bodyLength: body.length });
      handler(req, res, body, upstream);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  upstream.port = (server.address() as AddressInfo).port;
  return upstream;
}

/**
 * A loopback port that refuses connections and keeps refusing them.
 *
 * Not a port bound and released: the kernel hands released ports out again, to
 * the next `listen(0)` of a test running in parallel, and a request meant for
 * the "dead" endpoint then reached that test's upstream and was answered 200 (a
 * clean-clone `npm test` failed on it). A port below the ephemeral range is never
 * handed out, by `listen(0)` or as a connection's source port, and no test binds
 * one; the first such port that refuses a connection now is the answer.
 */
export async function closedPort(): Promise<number> {
  for (let candidate = 1; candidate < 1024; candidate++) if (await refuses(candidate)) return candidate;
  throw new Error("closedPort: every port below 1024 on 127.0.0.1 accepts connections");
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(false)));
    socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "ECONNREFUSED"));
  });
}

export interface ClientResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

export interface ClientRequest {
  port: number;
  /** Host header (origin-form) or authority (absolute-form). */
  host?: string;
  path?: string;
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Send `GET http://host/path` as to an HTTP proxy. */
  absolute?: boolean;
  agent?: Agent | false;
}

/** Sends one request; resolves with the whole response. */
export function send(opts: ClientRequest): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const path = opts.path ?? "/";
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port: opts.port,
        method: opts.method ?? "GET",
        path: opts.absolute ? `http://${opts.host ?? "localhost"}${path}` : path,
        headers: { host: opts.host ?? "localhost", ...opts.headers },
        agent: opts.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body) as T });
        });
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** Runs `count` requests with at most `concurrency` in flight. */
export async function sendMany(count: number, concurrency: number, make: (i: number) => Promise<ClientResponse>): Promise<ClientResponse[]> {
  const results: ClientResponse[] = new Array<ClientResponse>(count);
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const i = next++;
      results[i] = await make(i);
    }
  });
  await Promise.all(workers);
  return results;
}

export const CREATED = "2024-01-01T00:00:00Z";

type BackendInput = NonNullable<ProxyConfigInput["backends"]>[number];
type VirtualHostInput = NonNullable<ProxyConfigInput["virtualHosts"]>[number];
type RuleInput = NonNullable<VirtualHostInput["routes"]>[number]["rules"][number];

/** A backend with the given upstreams as endpoints. */
export function backend(name: string, upstreams: readonly { port: number }[], extra: Partial<BackendInput> = {}): BackendInput {
  return {
    name,
    service: name.split(".")[0] ?? name,
    namespace: "default",
    endpoints: upstreams.map((u) => ({ address: "127.0.0.1", port: u.port })),
    ...extra,
  };
}

/** A virtual host `<service>` / `<service>.default` with one route holding `rules`. */
export function vhost(service: string, rules: RuleInput[], routeName = service): VirtualHostInput {
  return {
    name: `${service}.default`,
    domains: [service, `${service}.default`, `${service}.default.svc.cluster.local`],
    routes: [{ name: routeName, namespace: "default", creationTimestamp: CREATED, rules }],
  };
}

/** A config with an outbound and an admin listener on ephemeral ports. */
export function config(parts: { version?: string; virtualHosts?: VirtualHostInput[]; backends?: BackendInput[]; listeners?: ProxyConfigInput["listeners"]; node?: ProxyConfigInput["node"]; limits?: ProxyConfigInput["limits"]; telemetry?: ProxyConfigInput["telemetry"] }): ProxyConfigInput {
  return {
    version: parts.version ?? "v1",
    node: parts.node ?? { service: "frontend", namespace: "default", locality: { zone: "z1", cluster: "c1" } },
    listeners: parts.listeners ?? [
      { kind: "outbound", name: "outbound", port: 0 },
      { kind: "admin", name: "admin", port: 0 },
    ],
    virtualHosts: parts.virtualHosts ?? [],
    backends: parts.backends ?? [],
    ...(parts.limits ? { limits: parts.limits } : {}),
    ...(parts.telemetry ? { telemetry: parts.telemetry } : {}),
  };
}

/** Collects servers and proxies and closes them all after each test. */
export class Stack {
  private readonly closers: (() => Promise<void>)[] = [];

  async controlled(name: string): Promise<Upstream & { control: UpstreamControl }> {
    const u = await startControlledUpstream(name);
    this.closers.push(() => u.close());
    return u;
  }

  async upstream(name: string, handler?: UpstreamHandler): Promise<Upstream> {
    const u = await startUpstream(name, handler);
    this.closers.push(() => u.close());
    return u;
  }

  async proxy(input: ProxyConfigInput, options: ProxyOptions = {}): Promise<WeftProxy> {
    const p = await WeftProxy.start(input, { listenerDrainMs: 200, ...options });
    this.closers.push(() => p.close({ drainMs: 200 }));
    return p;
  }

  defer(fn: () => Promise<void> | void): void {
    this.closers.push(async () => fn());
  }

  async close(): Promise<void> {
    // Proxies first (pushed last), then upstreams.
    for (const c of this.closers.reverse().splice(0)) await c();
  }
}

export function port(proxy: WeftProxy, listener = "outbound"): number {
  const a = proxy.listenerAddress(listener);
  if (!a) throw new Error(`no listener ${listener}`);
  return a.port;
}

/** A deterministic uniform source (mulberry32), for reproducible splits. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What a controlled upstream does with the next requests; change it at any time. */
export interface UpstreamControl {
  /** Status of normal answers (e.g. 503 to make it fail). */
  status: number;
  /** Delay before answering. */
  delayMs: number;
  /** Hold requests without answering until `release()`. */
  stall: boolean;
  /** What GET /healthz answers: 200 when true, 503 when false. */
  healthy: boolean;
  /** Answers every stalled request (200) and stops stalling. */
  release(): void;
  /** Requests currently held. */
  readonly held: number;
}

/** An upstream that can be told to fail, stall or slow down (and to fail its health check). */
export async function startControlledUpstream(name: string): Promise<Upstream & { control: UpstreamControl }> {
  const held: ServerResponse[] = [];
  const control: UpstreamControl = {
    status: 200,
    delayMs: 0,
    stall: false,
    healthy: true,
    release() {
      control.stall = false;
      for (const res of held.splice(0)) {
        res.writeHead(200, { "x-upstream": name });
        res.end("released");
      }
    },
    get held() {
      return held.length;
    },
  };
  const up = await startUpstream(name, (req, res) => {
    if (req.url === "/healthz") {
      res.writeHead(control.healthy ? 200 : 503);
      res.end();
      return;
    }
    if (control.stall) {
      held.push(res);
      return;
    }
    const answer = () => {
      res.writeHead(control.status, { "x-upstream": name });
      res.end(control.status < 400 ? "ok" : "failed");
    };
    if (control.delayMs > 0) setTimeout(answer, control.delayMs);
    else answer();
  });
  const close = up.close;
  return Object.assign(up, {
    control,
    close: async () => {
      control.release();
      await close();
    },
  });
}

/** Polls `predicate` every 10 ms until it holds or `timeoutMs` passes (then throws `message`). */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${message}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Writes raw bytes to a listener and collects everything until the proxy closes the connection (5 s at most). */
export function raw(p: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(p, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (c) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.setTimeout(5000, () => socket.destroy());
    socket.write(data);
  });
}
