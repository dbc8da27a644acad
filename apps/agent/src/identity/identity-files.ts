// Where the agent keeps identity material, under `<state-dir>/identity/`
// (0700): the cluster intermediate's key (0600) and certificate + chain, the
// trust bundle, and one folder per workload identity with its SVID
// (`svids/<namespace>/<serviceAccount>/{cert.pem,key.pem}`). Every file is
// written atomically, so a proxy re-reading it never sees half a certificate.
import { chmod, mkdir, readFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseCertificate, SecretKey, splitPemCertificates } from "@weft/identity";
import { writeFileAtomically } from "../state-files.ts";

/** A workload identity of this cluster: instances with the same namespace and service account share one SVID. */
export interface LocalIdentity {
  namespace: string;
  serviceAccount: string;
}

export const identityKey = (id: LocalIdentity) => `${id.namespace}/${id.serviceAccount}`;

/** The intermediate as stored: its certificate, the chain above it (nearest first, no root) and its key. */
export interface StoredIntermediate {
  certificatePem: string;
  chainPem: string[];
  key: SecretKey;
}

/** Thrown when a stored file is unusable; names the file, never quotes key material. */
export class IdentityFileError extends Error {
  override readonly name = "IdentityFileError";
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

export class IdentityFiles {
  readonly dir: string;

  constructor(stateDir: string) {
    // Absolute: the paths are handed to proxies, which run with another working folder.
    this.dir = resolve(stateDir, "identity");
  }

  get intermediateKeyPath(): string {
    return join(this.dir, "intermediate-key.pem");
  }
  /** The intermediate's certificate followed by its chain (PEM). */
  get intermediateCertPath(): string {
    return join(this.dir, "intermediate.pem");
  }
  get bundlePath(): string {
    return join(this.dir, "bundle.pem");
  }
  svidDir(id: LocalIdentity): string {
    return join(this.dir, "svids", id.namespace, id.serviceAccount);
  }
  svidCertPath(id: LocalIdentity): string {
    return join(this.svidDir(id), "cert.pem");
  }
  svidKeyPath(id: LocalIdentity): string {
    return join(this.svidDir(id), "key.pem");
  }

  /** Creates the folder 0700 (mkdir's mode is filtered by the umask, hence the chmod). */
  async ensureDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
  }

  /** Key first: a crash between the two writes leaves a pair that does not match, which `loadIntermediate` refuses, and a new one is requested. */
  async saveIntermediate(intermediate: StoredIntermediate): Promise<void> {
    await this.ensureDir();
    await writeFileAtomically(this.intermediateKeyPath, intermediate.key.exportPem());
    await writeFileAtomically(this.intermediateCertPath, [intermediate.certificatePem, ...intermediate.chainPem].map((p) => p.trim()).join("\n") + "\n");
  }

  /** The stored intermediate, or undefined when there is none. Throws IdentityFileError when a file is unreadable as what it should be. */
  async loadIntermediate(): Promise<StoredIntermediate | undefined> {
    const [keyPem, certText] = await Promise.all([readOptional(this.intermediateKeyPath), readOptional(this.intermediateCertPath)]);
    if (keyPem === undefined || certText === undefined) return undefined;
    let key: SecretKey;
    try {
      key = SecretKey.fromPem(keyPem);
    } catch (err) {
      throw new IdentityFileError(this.intermediateKeyPath, (err as Error).message);
    }
    const [certificatePem, ...chainPem] = splitPemCertificates(certText);
    if (!certificatePem) throw new IdentityFileError(this.intermediateCertPath, "holds no PEM certificate");
    try {
      [certificatePem, ...chainPem].forEach((pem, i) => parseCertificate(pem, `certificate ${i + 1}`));
    } catch (err) {
      throw new IdentityFileError(this.intermediateCertPath, (err as Error).message);
    }
    return { certificatePem, chainPem, key };
  }

  /** Writes the bundle unless it already holds exactly `pem`; true when it changed. */
  async saveBundle(pem: string): Promise<boolean> {
    if ((await readOptional(this.bundlePath)) === pem) return false;
    await this.ensureDir();
    await writeFileAtomically(this.bundlePath, pem);
    return true;
  }

  /**
   * The key is written before the certificate: a proxy checking in between
   * sees a key that does not match its certificate, refuses that pair and
   * keeps its current one until the next check finds both new.
   */
  async saveSvid(id: LocalIdentity, svid: { certChainPem: string; keyPem: string }): Promise<void> {
    await this.ensureDir();
    await writeFileAtomically(this.svidKeyPath(id), svid.keyPem);
    await writeFileAtomically(this.svidCertPath(id), svid.certChainPem);
  }

  /** Removes the SVID of an identity no local instance uses any more. */
  async removeSvid(id: LocalIdentity): Promise<void> {
    await rm(this.svidDir(id), { recursive: true, force: true });
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
