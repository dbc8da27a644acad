import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { IdentityError } from "./errors.ts";
import { SecretKey } from "./secret-key.ts";

/**
 * Envelope format, version 1 (one line of ASCII, fields joined by "."):
 *
 *   weft-sealed-key.v1.<kid>.<salt>.<iv>.<ciphertext>.<tag>
 *
 * - kid: hex, first 8 bytes of HMAC-SHA256(keyMaterial, "weft sealed-key id"),
 *   so a wrong operator secret is reported as such rather than as tampering;
 * - salt: 16 random bytes (base64url); the AES-256 key is
 *   HKDF-SHA256(keyMaterial, salt, info = "weft/identity/sealed-key/v1");
 * - iv: 12 random bytes; ciphertext and the 16-byte GCM tag in base64url;
 * - the additional authenticated data is "weft-sealed-key.v1.<kid>.<salt>" plus
 *   NUL plus the caller's `context` (e.g. "mesh-root"), so an envelope moved to
 *   another slot does not open.
 * The plaintext is the PKCS#8 PEM of the key.
 */
const PREFIX = "weft-sealed-key";
const VERSION = "v1";
const HKDF_INFO = "weft/identity/sealed-key/v1";
const MIN_KEY_MATERIAL_BYTES = 32;

/** The operator secret keys are sealed with: at least 32 bytes (e.g. `openssl rand -base64 32`). */
export type KeyMaterial = string | Uint8Array;

function keyMaterialBytes(keyMaterial: KeyMaterial): Buffer {
  const bytes = typeof keyMaterial === "string" ? Buffer.from(keyMaterial.trim(), "utf8") : Buffer.from(keyMaterial);
  if (bytes.length < MIN_KEY_MATERIAL_BYTES) {
    throw new IdentityError("weak-key-material", `the key-encryption secret must be at least ${MIN_KEY_MATERIAL_BYTES} bytes (generate one with \`openssl rand -base64 32\`)`);
  }
  return bytes;
}

function keyId(material: Buffer): string {
  return createHmac("sha256", material).update("weft sealed-key id").digest().subarray(0, 8).toString("hex");
}

function aad(kid: string, salt: string, context: string): Buffer {
  return Buffer.from(`${PREFIX}.${VERSION}.${kid}.${salt}\0${context}`, "utf8");
}

function deriveKey(material: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", material, salt, HKDF_INFO, 32));
}

/** Options binding a sealed key to where it is stored. */
export interface SealOptions {
  /** Authenticated context label (e.g. "mesh-root", "cluster/eu-1"); opening needs the same. */
  context?: string;
}

/** Encrypts a private key for storage at rest (AES-256-GCM, key derived by HKDF from `keyMaterial`). */
export function sealPrivateKey(key: SecretKey | string, keyMaterial: KeyMaterial, options: SealOptions = {}): string {
  const secret = typeof key === "string" ? SecretKey.fromPem(key) : key;
  return sealText(secret.exportPem(), keyMaterial, options.context ?? "");
}

/** True when `text` looks like a sealed-key envelope (of any version). */
export function isSealedKey(text: string): boolean {
  return text.startsWith(`${PREFIX}.`);
}

/** Decrypts an envelope from `sealPrivateKey`; refuses a wrong secret, a changed context or any tampering. */
export function openPrivateKey(sealed: string, keyMaterial: KeyMaterial, options: SealOptions = {}): SecretKey {
  return SecretKey.fromPem(openText(sealed, keyMaterial, options.context ?? ""));
}

/**
 * Encrypts any other secret (a webhook signing secret, an API token) in the
 * same envelope. Its context is kept apart from private keys' (a sealed
 * secret never opens as a key, nor the other way round).
 */
export function sealSecret(text: string, keyMaterial: KeyMaterial, options: SealOptions = {}): string {
  return sealText(text, keyMaterial, `secret\0${options.context ?? ""}`);
}

/** Decrypts an envelope from `sealSecret`; refuses a wrong secret, a changed context or any tampering. */
export function openSecret(sealed: string, keyMaterial: KeyMaterial, options: SealOptions = {}): string {
  return openText(sealed, keyMaterial, `secret\0${options.context ?? ""}`);
}

function sealText(plaintext: string, keyMaterial: KeyMaterial, context: string): string {
  const material = keyMaterialBytes(keyMaterial);
  const kid = keyId(material);
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const saltText = salt.toString("base64url");
  const cipher = createCipheriv("aes-256-gcm", deriveKey(material, salt), iv);
  cipher.setAAD(aad(kid, saltText, context));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [PREFIX, VERSION, kid, saltText, iv.toString("base64url"), ciphertext.toString("base64url"), cipher.getAuthTag().toString("base64url")].join(".");
}

function openText(sealed: string, keyMaterial: KeyMaterial, context: string): string {
  const parts = sealed.trim().split(".");
  if (parts[0] !== PREFIX) throw new IdentityError("sealed-key-format", "not a Weft sealed key");
  if (parts[1] !== VERSION) throw new IdentityError("sealed-key-version", `unsupported sealed key version ${parts[1] ?? "(none)"}; this build reads ${VERSION}`);
  const [, , kid, saltText, ivText, ciphertextText, tagText] = parts;
  if (parts.length !== 7 || !kid || !saltText || !ivText || !ciphertextText || !tagText) {
    throw new IdentityError("sealed-key-format", "malformed sealed key: expected 7 dot-separated fields");
  }
  const material = keyMaterialBytes(keyMaterial);
  if (keyId(material) !== kid) {
    throw new IdentityError("sealed-key-wrong-key", "this key was sealed with a different key-encryption secret");
  }
  const salt = Buffer.from(saltText, "base64url");
  const iv = Buffer.from(ivText, "base64url");
  const tag = Buffer.from(tagText, "base64url");
  if (salt.length !== 16 || iv.length !== 12 || tag.length !== 16) {
    throw new IdentityError("sealed-key-tampered", "sealed key failed authentication (salt, IV or tag altered)");
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", deriveKey(material, salt), iv);
    decipher.setAAD(aad(kid, saltText, context));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(ciphertextText, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    throw new IdentityError("sealed-key-tampered", "sealed key failed authentication: it was altered, or opened with the wrong context");
  }
}

/**
 * Reads the key-encryption secret from exactly one of an environment value or
 * a key file (file contents are trimmed). Parse the environment once, in the
 * app's env.ts, and pass the value here.
 */
export async function loadKeyMaterial(source: { value?: string | undefined; file?: string | undefined }): Promise<Buffer> {
  if (source.value && source.file) throw new IdentityError("weak-key-material", "set the key-encryption secret in the environment or in a key file, not both");
  if (source.file) return keyMaterialBytes((await readFile(source.file, "utf8")).trim());
  if (source.value) return keyMaterialBytes(source.value);
  throw new IdentityError("weak-key-material", "no key-encryption secret configured (environment value or key file)");
}
