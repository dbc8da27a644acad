// The proxy's bound listeners: which ones a new config keeps, which it
// binds (before the swap, so a bind error refuses the config) and which it
// drains. A kept listener gets the new spec in place; callbacks read the
// spec through the handle, so they always see the active one.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { Listener, ProxyConfig } from "@weft/mesh-model/proxy-config";
import type { IdentityMaterial } from "../core/identity-material.ts";
import type { Logger } from "../core/logger.ts";
import type { PeerIdentity } from "../core/peer-identity.ts";
import type { FastRequest } from "./fast-connection.ts";
import { openHttpListener, openTcpListener, type InboundMtls, type ListenerRuntime } from "./listener-server.ts";

export interface ListenerHandle {
  spec: Listener;
  runtime: ListenerRuntime;
  bound: { address: string; port: number };
  draining: boolean;
  closed: Promise<void>;
}

/** What listeners hand their traffic to. */
export interface ListenerTraffic {
  request(handle: ListenerHandle, req: IncomingMessage, res: ServerResponse, h2: boolean): void;
  upgrade(handle: ListenerHandle, req: IncomingMessage, socket: Duplex, head: Buffer): void;
  tcp(handle: ListenerHandle, socket: Socket): void;
  gateway(handle: ListenerHandle, socket: Socket): void;
  protocolError(handle: ListenerHandle, status: number): void;
  /** An HTTP/1.1 request read by the fast path: true when it takes it, false to hand the connection to node:http. */
  fastRequest(handle: ListenerHandle, req: FastRequest): boolean;
}

/** What inbound mTLS listeners need from the identity side. */
export interface ListenerIdentity {
  material(): IdentityMaterial | undefined;
  verify(listener: string, socket: TLSSocket): PeerIdentity | undefined;
  refused(listener: string, reason: string): void;
}

/** Listeners bound for a config but not yet active (`commit` makes them so). */
export interface PreparedListeners {
  keep: [ListenerHandle, Listener][];
  fresh: ListenerHandle[];
  removed: ListenerHandle[];
}

/** What a listener's protocol depends on: a change needs a new socket. */
function bindingShape(l: Listener): string {
  return JSON.stringify([l.kind, l.address, l.port, "tls" in l ? (l.tls ?? null) : null, "http2" in l ? l.http2 : null]);
}

export class ListenerSet {
  private handles = new Map<string, ListenerHandle>();
  private readonly draining = new Set<ListenerHandle>();

  constructor(
    private readonly traffic: ListenerTraffic,
    private readonly identity: ListenerIdentity,
    private readonly logger: Logger,
    /** Outbound and inbound listeners read HTTP/1.1 on the fast path. */
    private readonly fastPath: boolean,
  ) {}

  /** Where a listener is bound (the real port when the config asked for 0). */
  address(name: string): { address: string; port: number } | undefined {
    return this.handles.get(name)?.bound;
  }

  /** The active listeners. */
  list(): ListenerHandle[] {
    return [...this.handles.values()];
  }

  get drainingCount(): number {
    return this.draining.size;
  }

  /** Binds what `config` adds or reshapes; on a bind error nothing stays bound and the error is thrown. */
  async prepare(config: ProxyConfig): Promise<PreparedListeners> {
    const keep: [ListenerHandle, Listener][] = [];
    const bind: Listener[] = [];
    const wanted = new Set(config.listeners.map((l) => l.name));
    const removed = [...this.handles.values()].filter((h) => !wanted.has(h.spec.name));
    for (const l of config.listeners) {
      const h = this.handles.get(l.name);
      if (h && bindingShape(h.spec) === bindingShape(l)) keep.push([h, l]);
      else {
        bind.push(l);
        if (h) removed.push(h);
      }
    }
    const fresh: ListenerHandle[] = [];
    try {
      for (const l of bind) fresh.push(await this.open(l, config));
    } catch (err) {
      for (const h of fresh) this.drain(h, 0);
      throw err;
    }
    return { keep, fresh, removed };
  }

  /** Makes prepared listeners the active set and drains the removed ones for `drainMs`. */
  commit(prepared: PreparedListeners, drainMs: number): void {
    const handles = new Map<string, ListenerHandle>();
    for (const [h, l] of prepared.keep) {
      h.spec = l;
      handles.set(l.name, h);
    }
    for (const h of prepared.fresh) handles.set(h.spec.name, h);
    this.handles = handles;
    for (const h of prepared.removed) this.drain(h, drainMs);
  }

  /** Drains every listener, traffic first (for `drainMs`), then the admin listener, so probes see /ready 503 meanwhile. */
  async closeAll(drainMs: number): Promise<void> {
    const all = [...this.handles.values(), ...this.draining];
    const [admin, traffic] = [all.filter((h) => h.spec.kind === "admin"), all.filter((h) => h.spec.kind !== "admin")];
    const drain = async (hs: ListenerHandle[], ms: number) => {
      for (const h of hs) {
        if (h.draining) {
          // Already draining on its own schedule; shorten it to ours.
          setTimeout(() => h.runtime.destroyAll(), ms).unref();
        } else this.drain(h, ms);
      }
      await Promise.all(hs.map((h) => h.closed));
    };
    await drain(traffic, drainMs);
    await drain(admin, 0);
    this.handles.clear();
  }

  private async open(spec: Listener, config: ProxyConfig): Promise<ListenerHandle> {
    const traffic = this.traffic;
    const identity = this.identity;
    const mtls: InboundMtls | undefined =
      spec.kind === "inbound" && !spec.tls
        ? {
            mode: () => (handle.spec.kind === "inbound" ? (handle.spec.mtlsMode ?? "DISABLE") : "DISABLE"),
            material: () => identity.material(),
            verify: (socket) => identity.verify(handle.spec.name, socket),
            onRefused: (reason) => identity.refused(handle.spec.name, reason),
          }
        : undefined;
    let runtime: ListenerRuntime;
    if (spec.kind === "tcp") {
      runtime = await openTcpListener((socket) => traffic.tcp(handle, socket), spec.port, spec.address);
    } else if (spec.kind === "gateway") {
      runtime = await openTcpListener((socket) => traffic.gateway(handle, socket), spec.port, spec.address);
    } else {
      runtime = await openHttpListener(
        {
          limits: config.limits,
          http2: spec.kind === "admin" ? false : spec.http2,
          tls: spec.kind === "admin" ? undefined : spec.tls,
          onProtocolError: (status) => traffic.protocolError(handle, status),
          onRequest: (req, res, h2) => traffic.request(handle, req, res, h2),
          onUpgrade: (req, socket, head) => traffic.upgrade(handle, req, socket, head),
          ...(mtls ? { mtls } : {}),
          ...(this.fastPath && spec.kind !== "admin" ? { fast: { request: (req: FastRequest) => traffic.fastRequest(handle, req), draining: () => handle.draining } } : {}),
        },
        spec.port,
        spec.address,
      );
    }
    const handle: ListenerHandle = { spec, runtime, bound: runtime.bound, draining: false, closed: runtime.closed };
    this.logger.info("listening", { listener: spec.name, kind: spec.kind, address: runtime.bound.address, port: runtime.bound.port });
    return handle;
  }

  /** Stops accepting; open connections close after their current response, or after `drainMs`. */
  private drain(h: ListenerHandle, drainMs: number): void {
    if (h.draining) return;
    h.draining = true;
    this.draining.add(h);
    h.runtime.stopAccepting();
    const timer = setTimeout(() => h.runtime.destroyAll(), drainMs);
    timer.unref();
    void h.closed.then(() => {
      clearTimeout(timer);
      this.draining.delete(h);
    });
  }
}
