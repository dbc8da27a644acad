import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

/** log2 of scrypt's N in production: 2^15 (OWASP's minimum with r=8, p=1). */
export const PRODUCTION_SCRYPT_COST = 15;

const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  // maxmem must exceed 128·N·r bytes, which is 32 MiB at N=2^15, r=8: Node's default is just that.
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFKC"), salt, KEY_LENGTH, { ...options, maxmem: 256 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/**
 * Hashes a password with scrypt (memory-hard). The result carries its
 * parameters (`scrypt$<log2 N>$<r>$<p>$<salt>$<hash>`), so raising the cost
 * later leaves existing hashes verifiable.
 */
export async function hashPassword(password: string, cost = PRODUCTION_SCRYPT_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, { N: 2 ** cost, r: 8, p: 1 });
  return `scrypt$${cost}$8$1$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

/** Checks a password against a hash from {@link hashPassword}, in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [, cost, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, "base64url");
  const key = await derive(password, Buffer.from(salt, "base64url"), { N: 2 ** Number(cost), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}
