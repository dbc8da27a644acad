import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, webcrypto } from "node:crypto";
import { inspect } from "node:util";
import { IdentityError } from "./errors.ts";

const REDACTED = "[redacted]";

/** The WebCrypto parameters a private key signs with, derived from its type. */
export interface SigningParameters {
  importAlgorithm: webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams;
  signingAlgorithm: webcrypto.EcdsaParams | webcrypto.Algorithm;
}

function signingParameters(key: KeyObject): SigningParameters {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === "ec") {
    const curve = details?.namedCurve;
    if (curve === "prime256v1") return { importAlgorithm: { name: "ECDSA", namedCurve: "P-256" }, signingAlgorithm: { name: "ECDSA", hash: "SHA-256" } as webcrypto.EcdsaParams };
    if (curve === "secp384r1") return { importAlgorithm: { name: "ECDSA", namedCurve: "P-384" }, signingAlgorithm: { name: "ECDSA", hash: "SHA-384" } as webcrypto.EcdsaParams };
    throw new IdentityError("invalid-key", `unsupported EC curve ${curve ?? "(unknown)"}: use P-256 or P-384`);
  }
  if (key.asymmetricKeyType === "rsa") {
    if ((details?.modulusLength ?? 0) < 2048) throw new IdentityError("invalid-key", "RSA keys must be at least 2048 bits");
    const rsa = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    return { importAlgorithm: rsa, signingAlgorithm: rsa };
  }
  throw new IdentityError("invalid-key", `unsupported key type ${key.asymmetricKeyType ?? "(unknown)"}: use ECDSA P-256/P-384 or RSA`);
}

/**
 * A private key that cannot leak by accident: JSON.stringify, util.inspect,
 * String() and template literals all print "[redacted]". The PEM is reachable
 * only through the deliberately named `exportPem()`, for handing to a TLS
 * context or to `sealPrivateKey`.
 */
export class SecretKey {
  readonly #pem: string;
  readonly #publicKeyPem: string;
  readonly #parameters: SigningParameters;
  #cryptoKeys: Promise<webcrypto.CryptoKeyPair> | undefined;

  private constructor(key: KeyObject) {
    this.#parameters = signingParameters(key);
    this.#pem = key.export({ format: "pem", type: "pkcs8" }).toString();
    this.#publicKeyPem = createPublicKey(key).export({ format: "pem", type: "spki" }).toString();
  }

  /** Wraps a PEM private key (PKCS#8, SEC1 "EC PRIVATE KEY" or PKCS#1 RSA); normalised to PKCS#8. */
  static fromPem(pem: string): SecretKey {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: pem, format: "pem" });
    } catch {
      // The parser's message may quote the input; never echo key material.
      throw new IdentityError("invalid-key", "not a PEM private key (encrypted PEM keys are not supported)");
    }
    return new SecretKey(key);
  }

  /** Wraps a Node KeyObject holding a private key. */
  static fromKeyObject(key: KeyObject): SecretKey {
    if (key.type !== "private") throw new IdentityError("invalid-key", "expected a private key");
    return new SecretKey(key);
  }

  /** The private key as PKCS#8 PEM. Handle with care: never log or return it. */
  exportPem(): string {
    return this.#pem;
  }

  /** The matching public key as SPKI PEM (safe to share). */
  get publicKeyPem(): string {
    return this.#publicKeyPem;
  }

  /** The WebCrypto algorithm certificates and CSRs are signed with. */
  get signingAlgorithm(): webcrypto.EcdsaParams | webcrypto.Algorithm {
    return this.#parameters.signingAlgorithm;
  }

  /** A non-extractable WebCrypto key pair for signing with @peculiar/x509. */
  cryptoKeyPair(): Promise<webcrypto.CryptoKeyPair> {
    this.#cryptoKeys ??= (async () => {
      const privateDer = createPrivateKey(this.#pem).export({ format: "der", type: "pkcs8" });
      const publicDer = createPublicKey(this.#publicKeyPem).export({ format: "der", type: "spki" });
      const alg = this.#parameters.importAlgorithm;
      const [privateKey, publicKey] = await Promise.all([
        webcrypto.subtle.importKey("pkcs8", privateDer, alg, false, ["sign"]),
        webcrypto.subtle.importKey("spki", publicDer, alg, true, ["verify"]),
      ]);
      return { privateKey, publicKey } as webcrypto.CryptoKeyPair;
    })();
    return this.#cryptoKeys;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `SecretKey ${REDACTED}`;
  }
}

/** A fresh ECDSA P-256 private key, the mesh default for CAs and workloads. */
export function generateP256Key(): SecretKey {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return SecretKey.fromKeyObject(privateKey);
}
