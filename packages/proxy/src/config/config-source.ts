// Pull mode: the sidecar fetches its ProxyConfig from its cluster's agent
// (GET /v1/proxy-config, long poll on the version it holds), applies it with
// the same validation and atomic swap as a file reload, and reports what it
// did (POST /v1/proxy-config/ack). It makes its own key and gets its SVID
// from a CSR (POST /v1/svid), writes both where the config's file source
// reads them, and renews at about half-life. With the agent away it keeps
// serving the last config it applied. Every request carries the pod's
// projected service-account token, re-read each time (the kubelet rotates it).
// Polls and acks carry the trust bundle and SVID the proxy runs; telemetry
// and spans are pushed to the agent (telemetry-push.ts), which cannot reach
// the sidecar's loopback admin port.
import { request as httpsRequest, Agent } from "node:https";
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createWorkloadCsr, parseCertificate, splitPemCertificates } from "@weft/identity";
import { SIDECAR_SVID_FILES, SidecarConfigResponseSchema, SvidResponseSchema, type SidecarIdentity } from "@weft/mesh-model";
import type { ApplyResult } from "../core/apply-result.ts";
import type { Logger } from "../core/logger.ts";
import { TelemetryPusher, type PushableTelemetry, type PushStatus } from "./telemetry-push.ts";

export interface PullTarget {
  applyConfig(config: unknown): Promise<ApplyResult>;
  readonly version: string | undefined;
  /** The trust bundle and SVID the proxy runs, reported with every poll and ack (the agent acknowledges a bundle once every sidecar runs it). */
  identityInUse?(): { trustBundleFingerprint: string; serial: string } | null;
}

export interface PullConfigOptions {
  /** The agent's sidecar API, e.g. https://weft-agent.weft-system.svc:15012. */
  url: string;
  tokenFile: string;
  /** PEM CA to verify the agent with; the system CAs when omitted. */
  caPem?: string;
  namespace: string;
  pod: string;
  /** Where the SVID and its key are written (a memory-backed volume in a pod). */
  identityDir: string;
  logger: Logger;
  /** How long the agent may hold a poll (s). */
  waitSeconds?: number;
  /** Back-off after a failed poll, doubled up to `retryMaxMs`. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /**
   * Every this many ms the sidecar pushes its per-edge telemetry and new
   * spans to the agent (POST /v1/telemetry, /v1/spans); 0 turns pushing off.
   * Needs `telemetry` (10 s by default).
   */
  pushIntervalMs?: number;
  /** Where pushed telemetry comes from (the proxy itself); nothing is pushed without it. */
  telemetry?: PushableTelemetry;
}

interface HeldSvid {
  spiffeId: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
}

/** /stats-style view of the pull loop. */
export interface PullStatus {
  state: "starting" | "connected" | "retrying" | "stopped";
  lastVersion: string | null;
  lastError: string | null;
  svid: { spiffeId: string; notAfter: string } | null;
  push: PushStatus | null;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class PullConfigSource {
  readonly status: PullStatus;
  #agent: Agent;
  #stopped = false;
  #etag: string | undefined;
  #svid: HeldSvid | undefined;
  #identity: SidecarIdentity | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  #sleep: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  #loop: Promise<void> | undefined;
  #inflight = new Set<{ destroy(): void }>();
  #pusher: TelemetryPusher | undefined;
  #pushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly proxy: PullTarget,
    private readonly options: PullConfigOptions,
  ) {
    this.#agent = new Agent({ keepAlive: true, ...(options.caPem !== undefined && { ca: options.caPem }) });
    const interval = options.pushIntervalMs ?? 10_000;
    if (options.telemetry && interval > 0) {
      this.#pusher = new TelemetryPusher(options.telemetry, async (path, body) => (await this.#call("POST", path, body)).body, { namespace: options.namespace, name: options.pod });
    }
    this.status = { state: "starting", lastVersion: null, lastError: null, svid: null, push: this.#pusher?.status ?? null };
  }

  start(): void {
    this.#loop ??= this.#run();
    const pusher = this.#pusher;
    if (pusher && !this.#pushTimer) {
      this.#pushTimer = setInterval(() => {
        void pusher.push().then(() => {
          if (pusher.status.lastError !== null) this.options.logger.warn("cannot push telemetry to the agent; the batch is kept and resent", { error: pusher.status.lastError });
        });
      }, this.options.pushIntervalMs ?? 10_000);
      this.#pushTimer.unref();
    }
  }

  /** Pushes telemetry and spans now (tests; the timer does it every `pushIntervalMs`). */
  async pushTelemetry(): Promise<void> {
    await this.#pusher?.push();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.status.state = "stopped";
    clearTimeout(this.#renewTimer);
    clearInterval(this.#pushTimer);
    this.#sleep?.wake();
    // The last interval's requests and spans, before the connections go (bounded: the pod is terminating).
    if (this.#pusher) await Promise.race([this.#pusher.push(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    for (const r of this.#inflight) r.destroy();
    await this.#loop;
    this.#agent.destroy();
  }

  async #run(): Promise<void> {
    await this.#loadHeldSvid();
    let failures = 0;
    while (!this.#stopped) {
      try {
        const again = await this.#pollOnce();
        failures = 0;
        this.status.state = "connected";
        this.status.lastError = null;
        if (again) continue;
      } catch (err) {
        if (this.#stopped) break;
        failures++;
        this.status.state = "retrying";
        this.status.lastError = (err as Error).message;
        const delay = Math.min(this.options.retryMaxMs ?? 30_000, (this.options.retryInitialMs ?? 500) * 2 ** Math.min(failures - 1, 16));
        this.options.logger.warn("cannot get the config from the agent; keeping the current one", { error: this.status.lastError, activeVersion: this.proxy.version, retryInMs: delay });
        await this.#pause(delay);
      }
    }
  }

  /** One poll; true when the next should follow at once (the SVID just became ready). */
  async #pollOnce(): Promise<boolean> {
    const { namespace, pod, identityDir } = this.options;
    const svidReady = this.#svid !== undefined && this.#svid.notAfter.getTime() > Date.now();
    const running = this.proxy.identityInUse?.() ?? null;
    const query = new URLSearchParams({
      namespace,
      pod,
      identityDir,
      svid: svidReady ? "ready" : "none",
      waitSeconds: String(this.options.waitSeconds ?? 30),
      ...(running && { bundle: running.trustBundleFingerprint, svidSerial: running.serial }),
    });
    const res = await this.#call("GET", `/v1/proxy-config?${query.toString()}`, undefined, this.#etag);
    if (res.status === 304) return false;
    const parsed = SidecarConfigResponseSchema.safeParse(res.body);
    if (!parsed.success) throw new Error(`the agent's config answer is malformed: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    const answer = parsed.data;
    this.#etag = res.etag;
    this.#identity = answer.identity ?? undefined;
    let becameReady = false;
    if (answer.identity && this.#svidDue(answer.identity)) {
      try {
        await this.#obtainSvid(answer.identity);
        becameReady = !svidReady;
      } catch (err) {
        this.options.logger.warn("cannot get an SVID from the agent; retrying", { error: (err as Error).message });
        this.#scheduleRenewal(5000);
      }
    }
    const result = await this.proxy.applyConfig(answer.config);
    this.status.lastVersion = answer.version;
    if (result.ok) this.options.logger.info("config pulled and applied", { version: answer.version, clusterConfigVersion: answer.clusterConfigVersion });
    else this.options.logger.warn("pulled config refused, keeping the active config", { version: answer.version, reason: result.reason, activeVersion: this.proxy.version });
    await this.#call("POST", "/v1/proxy-config/ack", {
      namespace,
      pod,
      version: answer.version,
      status: result.ok ? "applied" : "rejected",
      ...(!result.ok && { reason: result.reason.slice(0, 4000) }),
      ...(this.proxy.identityInUse && { identity: this.proxy.identityInUse() }),
    }).catch((err: unknown) => this.options.logger.warn("cannot acknowledge the config to the agent", { error: (err as Error).message }));
    // With an SVID now on disk, the agent compiles a config that names it: ask for it at once.
    if (becameReady) this.#etag = undefined;
    return becameReady;
  }

  /** No SVID, another identity, another issuer, or past half its life. */
  #svidDue(identity: SidecarIdentity): boolean {
    const held = this.#svid;
    if (!held || held.spiffeId !== identity.spiffeId) return true;
    if (identity.issuerFingerprint !== null && held.issuer !== identity.issuerFingerprint) return true;
    const half = held.notBefore.getTime() + (held.notAfter.getTime() - held.notBefore.getTime()) / 2;
    return Date.now() >= half;
  }

  async #obtainSvid(identity: SidecarIdentity): Promise<void> {
    const { namespace, pod, identityDir, logger } = this.options;
    const csr = await createWorkloadCsr({ spiffeId: identity.spiffeId });
    const res = await this.#call("POST", "/v1/svid", { namespace, pod, csrPem: csr.csrPem });
    const parsed = SvidResponseSchema.safeParse(res.body);
    if (!parsed.success) throw new Error(`the agent's SVID answer is malformed: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    const held = describeSvid(parsed.data.certChainPem);
    // The key never leaves the pod: written here, 0600, before the certificate (a reader in between sees a mismatch and keeps the old pair).
    await mkdir(identityDir, { recursive: true, mode: 0o700 });
    await writeAtomically(join(identityDir, SIDECAR_SVID_FILES.key), csr.key.exportPem());
    await writeAtomically(join(identityDir, SIDECAR_SVID_FILES.certChain), parsed.data.certChainPem);
    this.#svid = held;
    this.status.svid = { spiffeId: held.spiffeId, notAfter: held.notAfter.toISOString() };
    logger.info("workload SVID obtained", { spiffeId: held.spiffeId, notAfter: held.notAfter.toISOString() });
    const halfLife = (held.notAfter.getTime() - Date.now()) / 2;
    this.#scheduleRenewal(Math.max(1000, halfLife));
  }

  #scheduleRenewal(inMs: number): void {
    clearTimeout(this.#renewTimer);
    if (this.#stopped) return;
    this.#renewTimer = setTimeout(() => {
      const identity = this.#identity;
      if (!identity || this.#stopped) return;
      void this.#obtainSvid(identity).catch((err: unknown) => {
        this.options.logger.warn("cannot renew the SVID; retrying", { error: (err as Error).message });
        this.#scheduleRenewal(5000);
      });
    }, Math.min(inMs, 2 ** 31 - 1));
    this.#renewTimer.unref();
  }

  /** An SVID left by an earlier run of this container (the volume outlives it). */
  async #loadHeldSvid(): Promise<void> {
    try {
      const text = await readFile(join(this.options.identityDir, SIDECAR_SVID_FILES.certChain), "utf8");
      const held = describeSvid(text);
      if (held.notAfter.getTime() > Date.now()) this.#svid = held;
    } catch {
      // None yet.
    }
  }

  async #call(method: "GET" | "POST", path: string, body?: unknown, etag?: string): Promise<{ status: number; body: unknown; etag: string | undefined }> {
    const token = (await readFile(this.options.tokenFile, "utf8")).trim();
    const url = new URL(path, this.options.url);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        url,
        {
          method,
          agent: this.#agent,
          headers: {
            authorization: `Bearer ${token}`,
            ...(etag !== undefined && { "if-none-match": `"${etag}"` }),
            ...(payload !== undefined && { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            this.#inflight.delete(req);
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown = undefined;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = undefined;
            }
            if (status >= 400) {
              const error = typeof parsed === "object" && parsed !== null && "error" in parsed ? String((parsed as { error: unknown }).error) : text.slice(0, 200);
              reject(new ApiError(status, `${method} ${url.pathname}: ${status} ${error}`));
              return;
            }
            const tag = res.headers.etag?.replace(/^W\//, "").replace(/^"|"$/g, "");
            resolve({ status, body: parsed, etag: tag });
          });
          res.on("error", reject);
        },
      );
      this.#inflight.add(req);
      req.on("error", (err) => {
        this.#inflight.delete(req);
        reject(err);
      });
      req.end(payload);
    });
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#sleep = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#sleep = { timer, wake };
    });
  }
}

function describeSvid(certChainPem: string): HeldSvid {
  const [leafPem, issuerPem] = splitPemCertificates(certChainPem);
  if (!leafPem || !issuerPem) throw new Error("the SVID chain must hold the leaf and its intermediate");
  const leaf = parseCertificate(leafPem);
  const spiffeId = leaf.uris[0];
  if (!spiffeId) throw new Error("the SVID names no SPIFFE ID");
  return { spiffeId, issuer: parseCertificate(issuerPem).fingerprintSha256, notBefore: leaf.notBefore, notAfter: leaf.notAfter };
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}
