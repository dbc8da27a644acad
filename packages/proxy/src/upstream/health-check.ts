// Active health checks, run by the proxy that uses the endpoints (see the
// README for why not the agent): HTTP GET, TCP connect, and the gRPC health
// checking protocol (grpc.health.v1.Health/Check over HTTP/2, the two tiny
// protobuf messages encoded by hand). Results flip EndpointStats.checkFailing
// after the thresholds, which takes the endpoint out of load balancing.
import { request as httpRequest } from "node:http";
import { connect as h2connect, constants as h2c } from "node:http2";
import { request as httpsRequest } from "node:https";
import { connect as netConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { HealthCheck } from "@weft/mesh-model/proxy-config";
import type { TlsFor } from "./tls-options.ts";
import type { EndpointView } from "./load-balancer.ts";
import type { HealthGeneration } from "./outlier-detection.ts";
import type { HealthEvents } from "../observability/resilience-events.ts";

/** Protobuf `HealthCheckRequest { string service = 1; }`, in a gRPC length-prefixed frame. */
export function encodeHealthCheckRequest(service: string): Buffer {
  const name = Buffer.from(service, "utf8");
  const body = name.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a]), encodeVarint(name.length), name]);
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt8(0, 0);
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, 5);
  return frame;
}

function encodeVarint(n: number): Buffer {
  const bytes: number[] = [];
  let v = n;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

/** `HealthCheckResponse.status` (1 = SERVING) from a gRPC frame; 0 (UNKNOWN) when absent or malformed. */
export function decodeHealthCheckStatus(frame: Buffer): number {
  if (frame.length < 5) return 0;
  const len = frame.readUInt32BE(1);
  const msg = frame.subarray(5, 5 + len);
  let i = 0;
  while (i < msg.length) {
    const tag = msg[i++] ?? 0;
    const field = tag >>> 3;
    const wire = tag & 7;
    let value = 0;
    let shift = 0;
    if (wire === 0) {
      for (;;) {
        const b = msg[i++];
        if (b === undefined) return 0;
        value |= (b & 0x7f) << shift;
        shift += 7;
        if ((b & 0x80) === 0) break;
      }
      if (field === 1) return value;
    } else if (wire === 2) {
      let len2 = 0;
      for (;;) {
        const b = msg[i++];
        if (b === undefined) return 0;
        len2 |= (b & 0x7f) << shift;
        shift += 7;
        if ((b & 0x80) === 0) break;
      }
      i += len2;
    } else return 0;
  }
  return 0;
}

export interface CheckTarget {
  address: string;
  port: number;
  /** Host header / :authority. */
  authority: string;
  tlsFor: TlsFor | undefined;
  /** TLS server name of the endpoint (a service behind an east-west gateway). */
  sni?: string | undefined;
}

/** Runs one check; resolves true when healthy. Never rejects. */
export function runCheck(check: HealthCheck, target: CheckTarget): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    let done = false;
    const cleanups: (() => void)[] = [];
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const c of cleanups) c();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), check.timeoutMs);
    const port = check.port ?? target.port;
    switch (check.type) {
      case "tcp": {
        const tls = target.tlsFor?.(target.address, ["http/1.1"], target.sni);
        const socket = tls ? tlsConnect({ host: target.address, port, ...tls }) : netConnect({ host: target.address, port });
        socket.once(tls ? "secureConnect" : "connect", () => finish(true));
        socket.once("error", () => finish(false));
        cleanups.push(() => socket.destroy());
        return;
      }
      case "http": {
        const options = { host: target.address, port, path: check.path, method: "GET", headers: { host: check.host ?? target.authority, "user-agent": "weft-health-check" }, agent: false as const };
        const tls = target.tlsFor?.(target.address, ["http/1.1"], target.sni);
        const req = tls ? httpsRequest({ ...options, ...tls }) : httpRequest(options);
        req.once("response", (res) => {
          res.resume();
          finish(check.expectedStatuses.includes(res.statusCode ?? 0));
        });
        req.once("error", () => finish(false));
        cleanups.push(() => req.destroy());
        req.end();
        return;
      }
      case "grpc": {
        const host = target.address.includes(":") ? `[${target.address}]` : target.address;
        const tls = target.tlsFor?.(target.address, ["h2"], target.sni);
        const session = tls ? h2connect(`https://${host}:${port}`, tls) : h2connect(`http://${host}:${port}`);
        cleanups.push(() => session.destroy());
        session.once("error", () => finish(false));
        const stream = session.request({
          [h2c.HTTP2_HEADER_METHOD]: "POST",
          [h2c.HTTP2_HEADER_PATH]: "/grpc.health.v1.Health/Check",
          [h2c.HTTP2_HEADER_AUTHORITY]: check.authority ?? target.authority,
          "content-type": "application/grpc",
          te: "trailers",
        });
        const chunks: Buffer[] = [];
        let status = 0;
        let grpcStatus: string | undefined;
        stream.on("response", (headers) => {
          const s = headers["grpc-status"];
          if (s !== undefined) grpcStatus = String(s);
        });
        stream.on("trailers", (trailers) => {
          const s = trailers["grpc-status"];
          if (s !== undefined) grpcStatus = String(s);
        });
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("error", () => finish(false));
        stream.on("end", () => {
          status = decodeHealthCheckStatus(Buffer.concat(chunks));
          finish(grpcStatus === "0" && status === 1);
        });
        stream.end(encodeHealthCheckRequest(check.service));
        return;
      }
    }
  });
}

interface CheckState {
  running: boolean;
  successes: number;
  failures: number;
  failing: boolean;
}

/**
 * The active checks of one backend: one timer per check, each tick checks
 * every endpoint (skipping one whose previous check is still running).
 */
export class HealthChecker {
  private views: readonly EndpointView[] = [];
  private checks: readonly HealthCheck[] = [];
  private timers: NodeJS.Timeout[] = [];
  private signature = "";
  private readonly state = new Map<string, CheckState[]>();
  private tlsFor: TlsFor | undefined;
  private stopped = false;
  /** Checks run, by result. */
  readonly counts = { success: 0, failure: 0 };

  constructor(
    private readonly backend: string,
    private readonly service: string,
    private readonly health: HealthGeneration,
    private readonly events: HealthEvents,
    private readonly onResult: (service: string, ok: boolean) => void,
  ) {}

  configure(checks: readonly HealthCheck[], views: readonly EndpointView[], tlsFor: TlsFor | undefined): void {
    this.views = views;
    this.tlsFor = tlsFor;
    const sig = JSON.stringify(checks);
    if (sig === this.signature) return;
    this.signature = sig;
    this.checks = checks;
    for (const t of this.timers) clearInterval(t);
    this.state.clear();
    // A new set of checks starts from a clean slate: nobody is failing until the new checks say so.
    for (const v of views) this.setFailing(v, false, "");
    this.timers = checks.map((check, i) => {
      const t = setInterval(() => this.tick(check, i), check.intervalMs);
      t.unref();
      // First round right away, so a dead endpoint is found within one interval × threshold.
      queueMicrotask(() => this.tick(check, i));
      return t;
    });
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  private stateOf(key: string): CheckState[] {
    let s = this.state.get(key);
    if (!s) {
      s = this.checks.map(() => ({ running: false, successes: 0, failures: 0, failing: false }));
      this.state.set(key, s);
    }
    return s;
  }

  private setFailing(view: EndpointView, failing: boolean, reason: string): void {
    if (view.stats.checkFailing === failing) return;
    view.stats.checkFailing = failing;
    this.health.generation++;
    if (reason) this.events.emit({ backend: this.backend, service: this.service, endpoint: view.key, action: failing ? "unhealthy" : "healthy", reason });
  }

  private tick(check: HealthCheck, index: number): void {
    if (this.stopped) return;
    const live = new Set(this.views.map((v) => v.key));
    for (const key of this.state.keys()) if (!live.has(key)) this.state.delete(key);
    for (const view of this.views) {
      const st = this.stateOf(view.key)[index];
      if (!st || st.running) continue;
      st.running = true;
      void runCheck(check, { address: view.endpoint.address, port: view.endpoint.port, authority: this.service, tlsFor: this.tlsFor, sni: view.endpoint.sni }).then((ok) => {
        st.running = false;
        if (this.stopped || this.checks[index] !== check) return;
        this.onResult(this.service, ok);
        if (ok) {
          this.counts.success++;
          st.successes++;
          st.failures = 0;
          if (st.failing && st.successes >= check.healthyThreshold) st.failing = false;
        } else {
          this.counts.failure++;
          st.failures++;
          st.successes = 0;
          if (!st.failing && st.failures >= check.unhealthyThreshold) st.failing = true;
        }
        const all = this.stateOf(view.key);
        this.setFailing(view, all.some((s) => s.failing), check.type);
      });
    }
  }
}
