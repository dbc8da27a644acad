// The agent's certificate authority loop. It keeps the cluster intermediate
// (key made here, signed by the manager, stored on disk so a restart with the
// manager down keeps issuing), issues one X.509-SVID per local workload
// identity and renews it at about half-life, writes the trust bundle, tells
// the manager which certificates exist, and acknowledges a bundle version
// once every local proxy (Kubernetes mode: every injected sidecar) runs it.
// Proxies read the files themselves (file sources, hot-swapped), so a
// rotation needs no config push.
import {
  bundleFingerprint,
  clusterAuthority,
  createIntermediateCsr,
  createTrustBundle,
  describeCertificate,
  issueWorkloadSvid,
  parseCertificate,
  serializeTrustBundle,
  signWorkloadCsr,
  spiffeIdFor,
  svidTlsCredentials,
  type CertificateAuthority,
} from "@weft/identity";
import { SignedIntermediateSchema, type AckTrustBundleInput, type ClusterConfig, type ClusterTrust, type ReportCertificatesInput, type ReportedCertificate, type SignIntermediateInput } from "@weft/mesh-model";
import { errorMessage, type Logger } from "../logger.ts";
import { restartDelay, type BackoffPolicy } from "../supervision/restart-backoff.ts";
import type { IdentityFilePaths } from "../mesh-config/compile-inputs.ts";
import type { ProxyIdentitySource } from "../mesh-config/config-applier.ts";
import { localInstances } from "../universal/universal-catalog.ts";
import type { UniversalFile } from "../universal/universal-file.schema.ts";
import {
  chainRootFingerprint,
  INTERMEDIATE_REASONS,
  intermediateRenewalReason,
  localIdentities,
  renewAtOf,
  svidRenewAt,
  type IntermediateFacts,
  type IntermediateReason,
} from "./identity-decisions.ts";
import { identityKey, IdentityFileError, type IdentityFiles, type LocalIdentity, type StoredIntermediate } from "./identity-files.ts";

/** Why a workload CSR cannot be signed right now (the caller may retry later). */
export class IssuerUnavailableError extends Error {
  override readonly name = "IssuerUnavailableError";
}

/** The manager's identity procedures, as the agent calls them (the cluster comes from the credential). */
export interface ManagerIdentityApi {
  /** Answers a SignedIntermediate (checked with its schema before anything is stored). */
  signIntermediate(input: SignIntermediateInput): Promise<unknown>;
  reportCertificates(input: ReportCertificatesInput): Promise<unknown>;
  ackTrustBundle(input: AckTrustBundleInput): Promise<unknown>;
}

/** What a local proxy reports about the identity material it runs (GET /stats `identity`); null when it runs none. */
export type ProxyIdentityProbe = (adminPort: number) => Promise<{ trustBundleFingerprint?: string | undefined; serial?: string | undefined } | null>;

export interface IdentityControllerOptions {
  cluster: string;
  files: IdentityFiles;
  /** Absent when the agent runs without a manager: stored material is used, nothing new can be signed. */
  manager: ManagerIdentityApi | undefined;
  probe: ProxyIdentityProbe;
  /**
   * Counts the proxies that must run a bundle before it is acknowledged and
   * those that run it (by its fingerprint). Kubernetes mode: the sidecars,
   * from what they report to the sidecar API. Absent, the local proxies are probed.
   */
  census?: (bundleFingerprint: string) => { total: number; current: number };
  logger: Logger;
  /** Lifetime of workload SVIDs (ms). */
  svidTtlMs: number;
  /** Called when the set of identities whose files are ready changes, so proxy configs can start (or stop) naming them. */
  onReadyChange?: () => void;
  /** SVIDs of a replaced intermediate are re-issued within this window (ms), spread so they do not all renew at once. */
  reissueSpreadMs?: number;
  /** The full inventory is re-sent at least this often (ms). */
  inventoryIntervalMs?: number;
  /** How often proxies are polled while a bundle is not yet acknowledged (ms). */
  ackPollMs?: number;
  /** Backoff of intermediate requests while the manager is away. */
  retry?: BackoffPolicy;
  /** Passed to proxies as `fileCheckIntervalMs`. */
  fileCheckIntervalMs?: number;
  now?: () => Date;
  random?: () => number;
  /** False in unit tests that drive `tick()` themselves. */
  schedule?: boolean;
}

const DEFAULT_RETRY: BackoffPolicy = { initialMs: 1000, maxMs: 60_000, multiplier: 2, jitter: 0.2, stableAfterMs: 0 };
/** A failed SVID issue is tried again this much later. */
const SVID_RETRY_MS = 5000;
/** How long the inventory waits for the proxies to load new SVIDs before it is reported anyway. */
const INVENTORY_MAX_WAIT_MS = 30_000;
/** Longest sleep between rounds: wakes up in time even if the clock jumps. */
const MAX_SLEEP_MS = 60_000;

interface Intermediate {
  ca: CertificateAuthority;
  facts: IntermediateFacts;
  subject: string;
  serial: string;
}

interface IssuedSvid {
  identity: LocalIdentity;
  spiffeId: string;
  subject: string;
  issuer: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  issuedUnder: string;
  rootFingerprint: string;
  renewAt: number;
  /** The intermediate `renewAt` was last moved forward for (a replaced issuer re-issues within the spread window, once). */
  rescheduledFor?: string;
}

/** /status of the identity loop: dates and fingerprints only, never key material. */
export interface IdentityStatus {
  state: "waiting-for-ca" | "no-intermediate" | "ready";
  trustDomain: string | null;
  bundle: { version: string; fingerprint: string; roots: number; ackedVersion: string | null; proxies: { total: number; current: number } } | null;
  intermediate: { subject: string; serial: string; notBefore: string; notAfter: string; fingerprint: string; rootFingerprint: string | null; source: "stored" | "issued" } | null;
  intermediateRetryAt: string | null;
  svids: { spiffeId: string; serial: string; notAfter: string; renewAt: string }[];
  lastInventoryAt: string | null;
  lastError: string | null;
}

export class IdentityController implements ProxyIdentitySource {
  #trust: ClusterTrust | null = null;
  #trustDomain: string | undefined;
  #identities: LocalIdentity[] = [];
  #proxies: { id: string; adminPort: number }[] = [];
  #stored: StoredIntermediate | undefined;
  #intermediate: Intermediate | undefined;
  #intermediateSource: "stored" | "issued" = "stored";
  #svids = new Map<string, IssuedSvid>();
  /** SVIDs signed from workload CSRs (Kubernetes sidecars), by holder (`<namespace>/<pod>`): inventory only, the workloads renew them. */
  #signed = new Map<string, ReportedCertificate>();
  #ready = new Set<string>();
  #bundle: { version: string; fingerprint: string; roots: number } | undefined;
  #ackedVersion: string | null = null;
  #ackCounts = { total: 0, current: 0 };
  #retry = { attempt: 0, at: 0 };
  #inventory: { dirty: boolean; nextAt: number; lastAt: string | null; waitingSince?: number | undefined } = { dirty: false, nextAt: 0, lastAt: null };
  #lastError: string | null = null;
  #loaded: Promise<void> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  /** Settles when the latest round has issued its SVIDs (see issued()). */
  #issued: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #inputsKey = "";

  constructor(private readonly options: IdentityControllerOptions) {}

  #now(): Date {
    return this.options.now?.() ?? new Date();
  }
  #random(): number {
    return (this.options.random ?? Math.random)();
  }

  /** Loads the stored intermediate (validated once the trust domain is known). */
  start(): Promise<void> {
    this.#loaded ??= this.options.files.loadIntermediate().then(
      (stored) => {
        this.#stored = stored;
      },
      (err: unknown) => {
        // A damaged file is replaced by a new intermediate, never half-used.
        this.#lastError = errorMessage(err);
        this.options.logger.warn("stored cluster intermediate unusable; a new one will be requested", { error: errorMessage(err) });
      },
    );
    return this.#loaded;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /**
   * The mesh's trust (from the manager's ClusterConfig or the cache) and the
   * local identities and proxies. Cheap when nothing changed.
   */
  update(input: { trustDomain: string | undefined; trust: ClusterTrust | null | undefined; identities: LocalIdentity[]; proxies: { id: string; adminPort: number }[] }): void {
    // An agent's cached config from before identities existed has no `trust`.
    const trust = input.trust ?? null;
    const key = JSON.stringify([input.trustDomain, trust, input.identities.map(identityKey), input.proxies]);
    if (key === this.#inputsKey) return;
    this.#inputsKey = key;
    // New trust (a new issuing root, a revocation) is acted on at once, not after the backoff of earlier failures.
    if (JSON.stringify(trust) !== JSON.stringify(this.#trust)) this.#retry.at = 0;
    if (this.#trustDomain !== undefined && input.trustDomain !== this.#trustDomain) {
      // Another trust domain: nothing issued for the old one is usable.
      this.#intermediate = undefined;
      this.#svids.clear();
    }
    this.#trust = trust;
    this.#trustDomain = input.trustDomain;
    this.#identities = input.identities;
    this.#proxies = input.proxies;
    void this.tick();
  }

  /** The config applier's inputs: the manager's trust and the universal file's local instances. */
  inputs(file: UniversalFile, config: ClusterConfig | undefined): void {
    this.update({
      trustDomain: config?.mesh.trustDomain,
      trust: config?.trust,
      identities: localIdentities(file),
      proxies: localInstances(file).map((inst) => ({ id: inst.id, adminPort: inst.proxy.adminPort })),
    });
  }

  /** Where the proxy of `identity` finds its files, once they are written under the current trust; undefined before. */
  filesFor(identity: LocalIdentity): IdentityFilePaths | undefined {
    if (!this.#trust || !this.#ready.has(identityKey(identity))) return undefined;
    const { files } = this.options;
    return { certChainPath: files.svidCertPath(identity), keyPath: files.svidKeyPath(identity), bundlePath: files.bundlePath, fileCheckIntervalMs: this.options.fileCheckIntervalMs ?? 1000 };
  }

  /** SHA-256 of the intermediate that signs now; null without a usable one. */
  get issuerFingerprint(): string | null {
    const i = this.#intermediate;
    return this.#trust && i && this.#now() < i.facts.notAfter ? i.facts.fingerprint : null;
  }

  /**
   * Signs a workload's CSR with the cluster intermediate: Kubernetes sidecars
   * make their own key, which never reaches the agent. `identity` is the
   * caller's authenticated namespace and service account; the CSR must ask for
   * exactly its SPIFFE ID (IdentityError otherwise). `holder` names the
   * workload (its pod) so a renewal replaces its entry in the inventory.
   * Throws IssuerUnavailableError while there is no usable intermediate.
   */
  async signWorkloadCsr(csrPem: string, identity: LocalIdentity, holder: string): Promise<{ spiffeId: string; certChainPem: string; notAfter: Date }> {
    const i = this.#intermediate;
    const trustDomain = this.#trustDomain;
    const now = this.#now();
    if (!this.#trust || !trustDomain) throw new IssuerUnavailableError("the mesh has no CA yet");
    if (!i || now >= i.facts.notAfter) throw new IssuerUnavailableError("the cluster has no usable intermediate yet");
    const spiffeId = spiffeIdFor({ trustDomain, ...identity });
    const svid = await signWorkloadCsr(csrPem, { intermediate: i.ca, spiffeId, ttl: this.options.svidTtlMs, now });
    const record = describeCertificate(svid.certificatePem);
    for (const [key, c] of this.#signed) if (new Date(c.notAfter) <= now) this.#signed.delete(key);
    this.#signed.set(holder, {
      spiffeId,
      subject: record.subject,
      issuer: record.issuer,
      serial: record.serial,
      notBefore: svid.notBefore.toISOString(),
      notAfter: svid.notAfter.toISOString(),
      rootFingerprint: i.facts.rootFingerprint ?? "",
    });
    this.#inventory.dirty = true;
    this.options.logger.info("workload SVID signed from a CSR", { spiffeId, holder, serial: record.serial, notAfter: svid.notAfter.toISOString() });
    void this.tick();
    return { spiffeId, certChainPem: [svid.certificatePem, ...svid.chainPem].map((p) => p.trim()).join("\n") + "\n", notAfter: svid.notAfter };
  }

  /** One round now (serialized with any running one); schedules the next. */
  tick(): Promise<void> {
    let onIssued = () => {};
    this.#issued = new Promise<void>((resolve) => (onIssued = resolve));
    const run = this.#queue.then(() => this.#round(onIssued));
    this.#queue = run.catch(() => undefined);
    void run.finally(onIssued).catch(() => undefined);
    return run;
  }

  /**
   * Resolves once the latest round has issued the SVIDs it could (before it
   * reports to the manager), or after `timeoutMs`. The config applier waits
   * on it for a proxy whose files are not ready yet, so an agent restarted
   * from its cache compiles the same config as before the restart (SVID
   * files named, mTLS on) instead of a plaintext one first.
   */
  issued(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    return Promise.race([this.#issued, timeout]).finally(() => clearTimeout(timer));
  }

  get status(): IdentityStatus {
    const i = this.#intermediate;
    return {
      state: !this.#trust ? "waiting-for-ca" : i ? "ready" : "no-intermediate",
      trustDomain: this.#trustDomain ?? null,
      bundle: this.#bundle ? { ...this.#bundle, ackedVersion: this.#ackedVersion, proxies: { ...this.#ackCounts } } : null,
      intermediate: i
        ? {
            subject: i.subject,
            serial: i.serial,
            notBefore: i.facts.notBefore.toISOString(),
            notAfter: i.facts.notAfter.toISOString(),
            fingerprint: i.facts.fingerprint,
            rootFingerprint: i.facts.rootFingerprint ?? null,
            source: this.#intermediateSource,
          }
        : null,
      intermediateRetryAt: this.#retry.attempt > 0 ? new Date(this.#retry.at).toISOString() : null,
      svids: [...this.#svids.values()].map((s) => ({ spiffeId: s.spiffeId, serial: s.serial, notAfter: s.notAfter.toISOString(), renewAt: new Date(s.renewAt).toISOString() })),
      lastInventoryAt: this.#inventory.lastAt,
      lastError: this.#lastError,
    };
  }

  async #round(onIssued: () => void): Promise<void> {
    await this.start();
    if (this.#stopped) return;
    try {
      await this.#reconcile(onIssued);
    } catch (err) {
      this.#lastError = errorMessage(err);
      this.options.logger.error("identity round failed", { error: this.#lastError });
    }
    this.#schedule();
  }

  async #reconcile(onIssued: () => void): Promise<void> {
    const trust = this.#trust;
    const trustDomain = this.#trustDomain;
    if (!trust || !trustDomain) return;
    const { files, logger } = this.options;

    const bundle = createTrustBundle(trustDomain, trust.rootsPem);
    await files.saveBundle(serializeTrustBundle(bundle));
    if (this.#bundle?.version !== trust.bundleVersion || this.#bundle.fingerprint !== bundleFingerprint(bundle)) {
      this.#bundle = { version: trust.bundleVersion, fingerprint: bundleFingerprint(bundle), roots: bundle.roots.length };
      this.#ackedVersion = this.#ackedVersion === trust.bundleVersion ? this.#ackedVersion : null;
    }

    if (this.#stored) {
      const stored = this.#stored;
      this.#stored = undefined;
      try {
        this.#intermediate = this.#adopt(stored, trust, trustDomain);
        this.#intermediateSource = "stored";
        logger.info("using the stored cluster intermediate", { subject: this.#intermediate.subject, notAfter: this.#intermediate.facts.notAfter.toISOString() });
      } catch (err) {
        logger.warn("stored cluster intermediate unusable; a new one will be requested", { error: errorMessage(err) });
      }
    }
    if (this.#intermediate) {
      // The bundle may have changed since the intermediate was adopted: which root it ends at is re-read against the current one.
      const i = this.#intermediate;
      i.facts.rootFingerprint = chainRootFingerprint(i.ca.certificatePem, i.ca.chainPem, trust.rootsPem);
    }
    const now = this.#now();
    const reason = intermediateRenewalReason(this.#intermediate?.facts, trust, now);
    if (reason && now.getTime() >= this.#retry.at) await this.#requestIntermediate(reason, trust, trustDomain);

    await this.#issueDue(trustDomain);
    onIssued();
    await this.#reportInventory();
    await this.#acknowledgeBundle();
  }

  /** Validates an intermediate against its key, its chain and the bundle. */
  #adopt(stored: StoredIntermediate, trust: ClusterTrust, trustDomain: string): Intermediate {
    const ca = clusterAuthority({ issued: { certificatePem: stored.certificatePem, chainPem: stored.chainPem }, key: stored.key, trustDomain, now: this.#now() });
    const cert = parseCertificate(ca.certificatePem);
    return {
      ca,
      subject: cert.subject,
      serial: cert.serial,
      facts: { fingerprint: cert.fingerprintSha256, rootFingerprint: chainRootFingerprint(ca.certificatePem, ca.chainPem, trust.rootsPem), notBefore: cert.notBefore, notAfter: cert.notAfter },
    };
  }

  async #requestIntermediate(reason: IntermediateReason, trust: ClusterTrust, trustDomain: string): Promise<void> {
    const { manager, logger, cluster, files } = this.options;
    if (!manager) {
      this.#lastError = `${INTERMEDIATE_REASONS[reason]}, and there is no manager to sign a new one`;
      return;
    }
    logger.info("requesting a cluster intermediate", { reason: INTERMEDIATE_REASONS[reason] });
    try {
      const csr = await createIntermediateCsr({ cluster, trustDomain });
      const parsed = SignedIntermediateSchema.safeParse(await manager.signIntermediate({ csrPem: csr.csrPem }));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`the manager's signIntermediate answer is malformed: ${issue?.path.join(".") ?? ""}: ${issue?.message ?? ""}`);
      }
      const signed = parsed.data;
      const stored: StoredIntermediate = { certificatePem: signed.certificatePem, chainPem: signed.chainPem, key: csr.key };
      const next = this.#adopt(stored, trust, trustDomain);
      if (next.facts.rootFingerprint !== signed.rootFingerprint) {
        throw new Error(`the signed intermediate chains to ${next.facts.rootFingerprint ?? "no root of the trust bundle"}, not to ${signed.rootFingerprint} as the manager says`);
      }
      await files.saveIntermediate(stored);
      this.#intermediate = next;
      this.#intermediateSource = "issued";
      this.#retry = { attempt: 0, at: 0 };
      this.#lastError = null;
      logger.info("cluster intermediate issued", { subject: next.subject, serial: next.serial, notAfter: next.facts.notAfter.toISOString(), rootFingerprint: next.facts.rootFingerprint });
    } catch (err) {
      this.#retry.attempt++;
      const delay = restartDelay(this.#retry.attempt, this.options.retry ?? DEFAULT_RETRY, () => this.#random());
      this.#retry.at = this.#now().getTime() + delay;
      this.#lastError = `cannot get a cluster intermediate: ${err instanceof IdentityFileError ? err.message : errorMessage(err)}`;
      logger.warn(this.#intermediate ? "cannot renew the cluster intermediate; the current one stays in use" : "cannot get a cluster intermediate; retrying", {
        error: errorMessage(err),
        retryInMs: delay,
      });
    }
  }

  async #issueDue(trustDomain: string): Promise<void> {
    const { files, logger } = this.options;
    const wanted = new Map(this.#identities.map((id) => [identityKey(id), id]));
    const readyBefore = [...this.#ready].sort().join(",");
    for (const [key, svid] of this.#svids) {
      if (wanted.has(key)) continue;
      this.#svids.delete(key);
      this.#ready.delete(key);
      this.#inventory.dirty = true;
      await files.removeSvid(svid.identity);
    }
    const i = this.#intermediate;
    const now = this.#now();
    if (i && now < i.facts.notAfter) {
      for (const [key, identity] of wanted) {
        const current = this.#svids.get(key);
        if (current && current.rescheduledFor !== i.facts.fingerprint) {
          current.renewAt = svidRenewAt(current, i.facts.fingerprint, now.getTime(), () => this.#random(), this.options.reissueSpreadMs ?? 3000);
          current.rescheduledFor = i.facts.fingerprint;
        }
        if (current && current.renewAt > now.getTime()) continue;
        try {
          const svid = await issueWorkloadSvid({ intermediate: i.ca, spiffeId: spiffeIdFor({ trustDomain, ...identity }), ttl: this.options.svidTtlMs, now });
          await files.saveSvid(identity, { certChainPem: svidTlsCredentials(svid).cert, keyPem: svid.key.exportPem() });
          const record = describeCertificate(svid.certificatePem);
          this.#svids.set(key, {
            identity,
            spiffeId: svid.spiffeId,
            subject: record.subject,
            issuer: record.issuer,
            serial: record.serial,
            notBefore: svid.notBefore,
            notAfter: svid.notAfter,
            issuedUnder: i.facts.fingerprint,
            rootFingerprint: i.facts.rootFingerprint ?? "",
            renewAt: renewAtOf(svid, now, () => this.#random()),
            rescheduledFor: i.facts.fingerprint,
          });
          this.#ready.add(key);
          this.#inventory.dirty = true;
          logger.info(current ? "workload SVID renewed" : "workload SVID issued", { spiffeId: svid.spiffeId, serial: record.serial, notAfter: svid.notAfter.toISOString() });
        } catch (err) {
          this.#lastError = `cannot issue the SVID of ${key}: ${errorMessage(err)}`;
          if (current) current.renewAt = now.getTime() + SVID_RETRY_MS;
          logger.error("cannot issue a workload SVID", { identity: key, error: errorMessage(err) });
        }
      }
    } else if (i) {
      this.#lastError = `the cluster intermediate expired at ${i.facts.notAfter.toISOString()}: no SVID can be issued until the manager signs a new one`;
    }
    if ([...this.#ready].sort().join(",") !== readyBefore) this.options.onReadyChange?.();
  }

  async #reportInventory(): Promise<void> {
    const { manager, logger } = this.options;
    const now = this.#now().getTime();
    if (!manager || (!this.#inventory.dirty && now < this.#inventory.nextAt)) return;
    // The inventory is what the proxies serve, not what was written for them: a root rotation moves on
    // (and drops a root from the bundles) on this report, so it must wait until every proxy has loaded
    // its new SVID file (they poll their files about once a second). Bounded: a proxy that never
    // catches up does not hide the rest of the cluster's certificates forever.
    if (!(await this.#proxiesServeCurrentSvids()) && now - (this.#inventory.waitingSince ??= now) < INVENTORY_MAX_WAIT_MS) {
      this.#inventory.nextAt = now + 250;
      return;
    }
    this.#inventory.waitingSince = undefined;
    const certificates: ReportedCertificate[] = [...this.#svids.values()].map((s) => ({
      spiffeId: s.spiffeId,
      subject: s.subject,
      issuer: s.issuer,
      serial: s.serial,
      notBefore: s.notBefore.toISOString(),
      notAfter: s.notAfter.toISOString(),
      rootFingerprint: s.rootFingerprint,
    }));
    certificates.push(...this.#signed.values());
    try {
      await manager.reportCertificates({ certificates });
      this.#inventory = { dirty: false, nextAt: now + (this.options.inventoryIntervalMs ?? 300_000), lastAt: new Date(now).toISOString() };
    } catch (err) {
      this.#inventory.nextAt = now + 10_000;
      logger.warn("cannot report the certificate inventory; retrying", { error: errorMessage(err) });
    }
  }

  /** Every local proxy serves one of the current SVIDs (always true for sidecars, which report through the census). */
  async #proxiesServeCurrentSvids(): Promise<boolean> {
    if (this.options.census || this.#proxies.length === 0) return true;
    const serials = new Set([...this.#svids.values()].map((s) => s.serial));
    const seen = await Promise.all(this.#proxies.map((p) => this.options.probe(p.adminPort).catch(() => null)));
    return seen.every((s) => s?.serial !== undefined && serials.has(s.serial));
  }

  async #acknowledgeBundle(): Promise<void> {
    const bundle = this.#bundle;
    const { manager, probe, logger } = this.options;
    if (!manager || !bundle || this.#ackedVersion === bundle.version) return;
    if (this.options.census) {
      this.#ackCounts = this.options.census(bundle.fingerprint);
    } else {
      const seen = await Promise.all(this.#proxies.map((p) => probe(p.adminPort).catch(() => null)));
      this.#ackCounts = { total: this.#proxies.length, current: seen.filter((s) => s?.trustBundleFingerprint === bundle.fingerprint).length };
    }
    const { current, total } = this.#ackCounts;
    if (current < total) return;
    try {
      await manager.ackTrustBundle({ bundleVersion: bundle.version, proxies: { ...this.#ackCounts } });
      this.#ackedVersion = bundle.version;
      logger.info("trust bundle acknowledged", { bundleVersion: bundle.version, proxies: current });
    } catch (err) {
      logger.warn("cannot acknowledge the trust bundle; retrying", { bundleVersion: bundle.version, error: errorMessage(err) });
    }
  }

  /** Sleeps until the earliest of: an SVID due, the intermediate's half-life or retry, the inventory, a pending bundle ack. */
  #schedule(): void {
    clearTimeout(this.#timer);
    if (this.#stopped || this.options.schedule === false || !this.#trust) return;
    const now = this.#now().getTime();
    const times = [now + MAX_SLEEP_MS, ...[...this.#svids.values()].map((s) => s.renewAt)];
    const i = this.#intermediate;
    if (i) {
      const { notBefore, notAfter } = i.facts;
      const halfLife = notBefore.getTime() + (notAfter.getTime() - notBefore.getTime()) / 2;
      // Past half-life, the retry time below governs.
      if (halfLife > now) times.push(halfLife);
      if (this.#svids.size < this.#identities.length) times.push(now + SVID_RETRY_MS);
    }
    if (this.#retry.attempt > 0) times.push(this.#retry.at);
    if (this.options.manager) {
      times.push(this.#inventory.nextAt);
      if (this.#bundle && this.#ackedVersion !== this.#bundle.version) times.push(now + (this.options.ackPollMs ?? 500));
    }
    const delay = Math.min(MAX_SLEEP_MS, Math.max(50, Math.min(...times) - now));
    this.#timer = setTimeout(() => void this.tick(), delay);
    this.#timer.unref();
  }
}
