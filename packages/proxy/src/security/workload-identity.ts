// The workload's identity as the proxy holds it: the X.509-SVID and key it
// presents, and the trust bundle peers must chain to. Material comes inline
// with a config push or from files checked on an interval; every change is
// validated first (a bad SVID never replaces a good one) and then announced,
// so listeners swap their TLS context and backends open new pools while
// open connections keep running on the old material.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createSecureContext } from "node:tls";
import {
  createTrustBundle,
  parseCertificate,
  serializeTrustBundle,
  splitPemCertificates,
  validateSvidChain,
  clusterOf,
  bundleFingerprint,
  type TrustBundle,
} from "@weft/identity";
import type { WorkloadIdentity } from "@weft/mesh-model/proxy-config";
import type { IdentityMaterial } from "../core/identity-material.ts";

/** Thrown when identity material is unusable; the message never quotes key material. */
export class IdentityLoadError extends Error {
  override readonly name = "IdentityLoadError";
}

interface RawMaterial {
  certChainPem: string;
  keyPem: string;
  rootsPem: string[];
  revoked: readonly string[];
}

async function readRaw(spec: WorkloadIdentity): Promise<RawMaterial> {
  const read = async (path: string, what: string) => {
    try {
      return await readFile(path, "utf8");
    } catch (err) {
      throw new IdentityLoadError(`cannot read the ${what} file ${path}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
    }
  };
  const svid = spec.svid;
  const [certChainPem, keyPem] =
    svid.source === "inline" ? [svid.certChainPem, svid.keyPem] : await Promise.all([read(svid.certChainPath, "SVID certificate"), read(svid.keyPath, "SVID key")]);
  const bundle = spec.trustBundle;
  const rootsPem = bundle.source === "inline" ? bundle.rootsPem : [await read(bundle.path, "trust bundle")];
  return { certChainPem, keyPem, rootsPem, revoked: [...new Set(spec.revokedFingerprints ?? [])].sort() };
}

function fingerprintOf(raw: RawMaterial, trustDomain: string): string {
  const h = createHash("sha256");
  // The revocation list is part of the material: a new list means new pools, and resumed sessions are judged again.
  for (const part of [trustDomain, raw.certChainPem, raw.keyPem, ...raw.rootsPem, "revoked", ...raw.revoked]) h.update(part).update("\0");
  return h.digest("hex");
}

/** Validates raw material: a well-formed SVID of the trust domain, a key that belongs to it, a chain to the bundle. */
function build(raw: RawMaterial, trustDomain: string, fingerprint: string, generation: number, now: Date): IdentityMaterial {
  let bundle: TrustBundle;
  try {
    bundle = createTrustBundle(trustDomain, raw.rootsPem);
  } catch (err) {
    throw new IdentityLoadError(`trust bundle refused: ${(err as Error).message}`);
  }
  const chain = splitPemCertificates(raw.certChainPem);
  const [leaf, ...intermediates] = chain;
  if (!leaf) throw new IdentityLoadError("the SVID certificate chain holds no certificate");
  const verdict = validateSvidChain(leaf, intermediates, bundle, now);
  if (!verdict.ok) throw new IdentityLoadError(`the workload SVID is not usable (${verdict.code}): ${verdict.reason}`);
  try {
    createSecureContext({ cert: raw.certChainPem, key: raw.keyPem });
  } catch (err) {
    // OpenSSL's message names the problem ("key values mismatch"), never the key.
    throw new IdentityLoadError(`the SVID key is not usable with its certificate: ${(err as Error).message}`);
  }
  return {
    spiffeId: verdict.spiffeId,
    trustDomain,
    certChainPem: raw.certChainPem,
    keyPem: raw.keyPem,
    bundle,
    caPem: serializeTrustBundle(bundle),
    notAfter: parseCertificate(leaf).notAfter,
    generation,
    fingerprint,
    revoked: new Set(raw.revoked),
  };
}

/** The cluster of a peer, from the subject of the intermediate that issued its leaf (Weft naming: OU=weft-cluster, CN=<cluster>). */
export function peerCluster(intermediates: readonly Buffer[]): string | undefined {
  const first = intermediates[0];
  if (!first) return undefined;
  try {
    return clusterOf(parseCertificate(first).pem);
  } catch {
    return undefined;
  }
}

export interface IdentityLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Holds the current identity material. `prepare` + `commit` apply a config's
 * identity section (validated before the config is accepted); file sources
 * are re-read every `fileCheckIntervalMs` and swapped when they change.
 */
export class IdentityManager {
  private material: IdentityMaterial | undefined;
  private spec: WorkloadIdentity | undefined;
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastRefused: string | undefined;
  private checking = false;

  constructor(
    private readonly logger: IdentityLogger,
    private readonly now: () => Date = () => new Date(),
    /** Called after every change of material (not for unchanged pushes). */
    private readonly onChange: (m: IdentityMaterial | undefined) => void = () => undefined,
  ) {}

  get current(): IdentityMaterial | undefined {
    return this.material;
  }

  /** Loads and validates what `spec` names; throws IdentityLoadError. Nothing changes until `commit`. */
  async prepare(spec: WorkloadIdentity | undefined): Promise<IdentityMaterial | undefined> {
    if (!spec) return undefined;
    const raw = await readRaw(spec);
    const fingerprint = fingerprintOf(raw, spec.trustDomain);
    if (this.material?.fingerprint === fingerprint) return this.material;
    return build(raw, spec.trustDomain, fingerprint, this.generation + 1, this.now());
  }

  /** Makes prepared material current and (re)starts watching file sources. */
  commit(spec: WorkloadIdentity | undefined, material: IdentityMaterial | undefined): void {
    this.spec = spec;
    this.watch(spec);
    this.swap(material);
  }

  private swap(material: IdentityMaterial | undefined): void {
    if (material === this.material) return;
    const previous = this.material;
    if (material) this.generation = material.generation;
    this.material = material;
    this.lastRefused = undefined;
    if (material && previous) this.logger.info("workload identity rotated", { spiffeId: material.spiffeId, notAfter: material.notAfter.toISOString(), roots: material.bundle.roots.length });
    this.onChange(material);
  }

  private watch(spec: WorkloadIdentity | undefined): void {
    const usesFiles = spec !== undefined && (spec.svid.source === "file" || spec.trustBundle.source === "file");
    const interval = spec?.fileCheckIntervalMs;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!usesFiles || interval === undefined) return;
    this.timer = setInterval(() => void this.check(), interval);
    this.timer.unref();
  }

  /** Re-reads file sources; a changed, valid set of files replaces the material. */
  async check(): Promise<void> {
    const spec = this.spec;
    if (!spec || this.checking) return;
    this.checking = true;
    try {
      const raw = await readRaw(spec);
      const fingerprint = fingerprintOf(raw, spec.trustDomain);
      if (spec !== this.spec || fingerprint === this.material?.fingerprint || fingerprint === this.lastRefused) return;
      try {
        this.swap(build(raw, spec.trustDomain, fingerprint, this.generation + 1, this.now()));
      } catch (err) {
        // Files are often replaced one at a time: keep the old material until the set is consistent.
        this.lastRefused = fingerprint;
        this.logger.warn("identity files changed but are not usable yet; keeping the current SVID", { reason: (err as Error).message });
      }
    } catch (err) {
      this.logger.warn("cannot read identity files", { reason: (err as Error).message });
    } finally {
      this.checking = false;
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The trust bundle and SVID `material` holds, as the agent compares them (fingerprint, serial). */
export function materialInUse(material: IdentityMaterial): { trustBundleFingerprint: string; serial: string } {
  return { trustBundleFingerprint: bundleFingerprint(material.bundle), serial: parseCertificate(splitPemCertificates(material.certChainPem)[0] ?? "").serial };
}
