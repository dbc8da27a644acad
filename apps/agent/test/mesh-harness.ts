// Shared pieces of the agent tests that run real agents and real proxies
// (some with a real manager): small HTTP apps, universal files and the
// universal-mode agent config, a paced request loop that counts every
// failure, the proxies' /stats and the chain a proxy serves, and a log
// capture that scans for key material.
import { createPrivateKey } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { join } from "node:path";
import { connect, type DetailedPeerCertificate } from "node:tls";
import { peerChain } from "@weft/identity";
import type { AgentConfig } from "../src/config.ts";

export interface Reply {
  status: number;
  body: string;
}

/** One request on a fresh connection (so each one goes through the proxy's listener from scratch). */
export function send(port: number, host: string, options: { path?: string; method?: string; timeoutMs?: number } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path: options.path ?? "/", method: options.method ?? "GET", headers: { host }, agent: false, timeout: options.timeoutMs ?? 10_000 },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.end();
  });
}

/** A loopback HTTP app and the port it listens on. */
export interface App {
  server: Server;
  port: number;
}

/** A loopback HTTP app answering every request with `reply(req)`. */
export async function startApp(reply: (req: IncomingMessage) => string): Promise<App> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.end(reply(req)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as { port: number }).port };
}

export function closeApp(app: { server: Server } | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!app) return resolve();
    app.server.closeAllConnections();
    app.server.close(() => resolve());
  });
}

/** One instance of a universal file: the app's port and its proxy's three ports. */
export interface InstanceSpec {
  service: string;
  namespace: string;
  name: string;
  serviceAccount: string;
  appPort: number;
  proxy: { inboundPort: number; outboundPort: number; adminPort: number };
}

/** A universal file for these instances, with the cluster's east-west gateway on loopback when `gateway` is given. */
export function universalFile(instances: readonly InstanceSpec[], gateway?: { port: number; adminPort: number }): string {
  const services = new Map<string, InstanceSpec[]>();
  for (const inst of instances) services.set(`${inst.namespace}/${inst.service}`, [...(services.get(`${inst.namespace}/${inst.service}`) ?? []), inst]);
  const lines = gateway ? [`gateway: { address: 127.0.0.1, bindAddress: 127.0.0.1, port: ${gateway.port}, adminPort: ${gateway.adminPort} }`] : [];
  lines.push("services:");
  for (const group of services.values()) {
    lines.push(`  - name: ${group[0]!.service}`, `    namespace: ${group[0]!.namespace}`, "    instances:");
    for (const i of group) {
      lines.push(
        `      - { name: ${i.name}, address: 127.0.0.1, port: ${i.appPort}, serviceAccount: ${i.serviceAccount}, proxy: { inboundPort: ${i.proxy.inboundPort}, outboundPort: ${i.proxy.outboundPort}, adminPort: ${i.proxy.adminPort} } }`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

/** The ports of the two-service shop mesh: web and catalog, each with its proxy. */
export interface ShopPorts {
  webIn: number;
  webOut: number;
  webAdmin: number;
  catIn: number;
  catOut: number;
  catAdmin: number;
}

/** web-1 and catalog-1 in namespace shop, each running as the service account of its service's name. */
export function shopInstances(appPorts: { web: number; catalog: number }, ports: ShopPorts): InstanceSpec[] {
  return [
    { service: "web", namespace: "shop", name: "web-1", serviceAccount: "web", appPort: appPorts.web, proxy: { inboundPort: ports.webIn, outboundPort: ports.webOut, adminPort: ports.webAdmin } },
    { service: "catalog", namespace: "shop", name: "catalog-1", serviceAccount: "catalog", appPort: appPorts.catalog, proxy: { inboundPort: ports.catIn, outboundPort: ports.catOut, adminPort: ports.catAdmin } },
  ];
}

/** A universal-mode agent with no manager to join (tests hand it a reporter), its state under `dir`, its admin on a free port. */
export function universalAgentConfig(options: { dir: string; file: string; cluster: string } & Partial<AgentConfig>): AgentConfig {
  const { dir, file, ...rest } = options;
  return {
    manager: "http://127.0.0.1:1",
    mode: "universal",
    universalFile: file,
    stateDir: join(dir, "state"),
    adminPort: 0,
    logLevel: "info",
    fullResyncSeconds: 300,
    telemetryIntervalSeconds: 10,
    proxyImage: "unused",
    webhookPort: 0,
    ...rest,
  };
}

/** What a proxy's admin /stats says about the identity material it runs. */
export interface ProxyIdentityStats {
  spiffeId: string;
  serial: string;
  notAfter: string;
  trustBundleFingerprint: string;
  trustBundleRoots: number;
}

export async function proxyIdentity(adminPort: number): Promise<ProxyIdentityStats | null> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/stats`);
  return ((await res.json()) as { identity: ProxyIdentityStats | null }).identity;
}

/** The backends part of a proxy's admin /stats, as the tests read it. */
export interface ProxyBackendStats {
  backends?: Record<string, { service?: string; endpoints?: { address?: string; port?: number; health?: string; ejected?: boolean; failures?: number }[] }>;
}

/**
 * Whether the proxy on `adminPort` holds a healthy endpoint of `service`. The
 * agent marks a universal instance ready only once its own proxy answers, so
 * right after a start callers answer `503 no healthy upstream` until then:
 * wait for this before asserting a call succeeds.
 */
export async function upstreamHealthy(adminPort: number, service: string): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/stats`);
  const stats = (await res.json()) as ProxyBackendStats;
  return Object.values(stats.backends ?? {}).some((b) => b.service === service && (b.endpoints ?? []).some((e) => e.health === "healthy"));
}

/**
 * The certificate chain a proxy's inbound listener serves (leaf first, DER),
 * as any peer sees it during the handshake. The listener wants a client
 * certificate too; the handshake (TLS 1.3) is complete on our side before the
 * proxy refuses the missing one, and the chain is read by then.
 */
export function servedChain(port: number): Promise<{ leaf: Buffer; intermediates: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, servername: "weft-probe", rejectUnauthorized: false, minVersion: "TLSv1.3", timeout: 10_000 });
    socket.once("secureConnect", () => {
      const chain = peerChain(socket.getPeerCertificate(true) as DetailedPeerCertificate);
      socket.destroy();
      if (chain) resolve(chain);
      else reject(new Error(`the listener on ${port} served no certificate`));
    });
    socket.once("timeout", () => socket.destroy(new Error("timeout")));
    socket.once("error", reject);
  });
}

/** A paced request loop: every request must succeed, every failure is kept with when and why. */
export interface LoadLoop {
  readonly name: string;
  readonly sent: number;
  readonly ok: number;
  readonly failures: readonly { at: string; what: string }[];
  /** Stops after the request in flight; resolves once it has finished. */
  stop(): Promise<void>;
}

export function startLoad(name: string, call: () => Promise<Reply>, expectedBody: string, paceMs = 20): LoadLoop {
  let stopped = false;
  const state = { sent: 0, ok: 0, failures: [] as { at: string; what: string }[] };
  const done = (async () => {
    while (!stopped) {
      state.sent++;
      try {
        const reply = await call();
        if (reply.status === 200 && reply.body === expectedBody) state.ok++;
        else state.failures.push({ at: new Date().toISOString(), what: `${reply.status} ${reply.body.slice(0, 200)}` });
      } catch (err) {
        state.failures.push({ at: new Date().toISOString(), what: String(err) });
      }
      // Pacing, not waiting for a condition: enough load to matter, little enough to leave the 2 cores to the mesh.
      if (!stopped) await new Promise((r) => setTimeout(r, paceMs));
    }
  })();
  return {
    name,
    get sent() {
      return state.sent;
    },
    get ok() {
      return state.ok;
    },
    get failures() {
      return state.failures;
    },
    async stop() {
      stopped = true;
      await done;
    },
  };
}

export function describeLoads(loads: readonly LoadLoop[]): string {
  return loads.map((l) => `${l.name}: ${l.ok}/${l.sent} ok${l.failures.length ? `, failures: ${JSON.stringify(l.failures.slice(0, 10))}` : ""}`).join("; ");
}

/**
 * Everything the processes of a test logged (all of it, not a tail), and the
 * private keys the agents wrote to disk over the run, to prove none of them
 * ever reached a log line.
 */
export class LogCapture {
  /** Raw output per source, kept apart so no marker ever splits a line (or a needle) in two. */
  #chunks = new Map<string, string[]>();
  #keys = new Map<string, string>();

  add(source: string): (chunk: string) => void {
    const chunks = this.#chunks.get(source) ?? [];
    this.#chunks.set(source, chunks);
    return (chunk) => chunks.push(chunk);
  }

  attach(source: string, stream: NodeJS.ReadableStream | null | undefined): void {
    const add = this.add(source);
    stream?.on("data", (c: Buffer | string) => add(typeof c === "string" ? c : c.toString("utf8")));
  }

  /** Everything captured, one section per source. */
  get text(): string {
    return [...this.#chunks].map(([source, chunks]) => `===== ${source} =====\n${chunks.join("")}\n`).join("");
  }

  /** What one source wrote. */
  of(source: string): string {
    return (this.#chunks.get(source) ?? []).join("");
  }

  /** Remembers every private key PEM under an agent's identity folder (intermediate and SVID keys; they change on each renewal). */
  async collectKeys(identityDir: string): Promise<void> {
    const files: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.name.endsWith("key.pem")) files.push(path);
      }
    };
    await walk(identityDir);
    for (const file of files) {
      const pem = await readFile(file, "utf8").catch(() => "");
      if (pem.includes("PRIVATE KEY")) this.#keys.set(pem, file);
    }
  }

  get keysSeen(): number {
    return this.#keys.size;
  }

  /** Fragments of key material found in the logs: PEM armour, a line of a key's base64 body, or its private scalar (JWK `d`). */
  leaks(extraSecrets: readonly string[] = []): string[] {
    const text = this.text;
    const found: string[] = [];
    if (/PRIVATE KEY/.test(text)) found.push('"PRIVATE KEY"');
    for (const [pem, file] of this.#keys) {
      const body = pem.split("\n").filter((l) => l && !l.startsWith("-----"));
      const jwk = createPrivateKey(pem).export({ format: "jwk" });
      const needles = [...body.filter((l) => l.length >= 32), ...(jwk.d ? [jwk.d, Buffer.from(jwk.d, "base64url").toString("hex"), Buffer.from(jwk.d, "base64url").toString("base64")] : [])];
      for (const needle of needles) if (text.includes(needle)) found.push(`material of ${file}`);
    }
    for (const secret of extraSecrets) if (secret && text.includes(secret)) found.push("a configured secret");
    return found;
  }
}
