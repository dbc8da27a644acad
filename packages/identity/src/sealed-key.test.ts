import { describe, expect, it } from "vitest";
import { IdentityError } from "./errors.ts";
import { isSealedKey, openPrivateKey, openSecret, sealPrivateKey, sealSecret } from "./sealed-key.ts";
import { generateP256Key } from "./secret-key.ts";

const secret = "k1-0123456789abcdef0123456789abcdef";
const otherSecret = "k2-0123456789abcdef0123456789abcdef";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof IdentityError) return error.code;
    throw error;
  }
  return undefined;
}

/** Flips one character of the envelope field at `index` (0-based) to another base64url character. */
function tamper(sealed: string, index: number): string {
  const parts = sealed.split(".");
  const field = parts[index] as string;
  const position = Math.floor(field.length / 2);
  const replacement = field[position] === "A" ? "B" : "A";
  parts[index] = field.slice(0, position) + replacement + field.slice(position + 1);
  return parts.join(".");
}

describe("sealed private keys", () => {
  const key = generateP256Key();

  it("round-trips a key, and each seal is different", () => {
    const sealed = sealPrivateKey(key, secret);
    expect(isSealedKey(sealed)).toBe(true);
    expect(sealed.startsWith("weft-sealed-key.v1.")).toBe(true);
    expect(sealed).not.toContain("PRIVATE KEY");
    expect(sealPrivateKey(key, secret)).not.toBe(sealed);
    expect(openPrivateKey(sealed, secret).exportPem()).toBe(key.exportPem());
  });

  it("accepts PEM input and Uint8Array key material", () => {
    const material = new Uint8Array(32).fill(7);
    expect(openPrivateKey(sealPrivateKey(key.exportPem(), material), material).publicKeyPem).toBe(key.publicKeyPem);
  });

  it.each([
    ["salt", 3],
    ["iv", 4],
    ["ciphertext", 5],
    ["tag", 6],
  ])("detects tampering with the %s", (_field, index) => {
    expect(codeOf(() => openPrivateKey(tamper(sealPrivateKey(key, secret), index), secret))).toBe("sealed-key-tampered");
  });

  it("detects a truncated ciphertext", () => {
    const parts = sealPrivateKey(key, secret).split(".");
    parts[5] = (parts[5] as string).slice(0, -8);
    expect(codeOf(() => openPrivateKey(parts.join("."), secret))).toBe("sealed-key-tampered");
  });

  it.each([
    ["a different secret", () => openPrivateKey(sealPrivateKey(key, secret), otherSecret), "sealed-key-wrong-key"],
    ["a different context", () => openPrivateKey(sealPrivateKey(key, secret, { context: "mesh-root" }), secret, { context: "cluster/eu-1" }), "sealed-key-tampered"],
    ["an unknown version", () => openPrivateKey(sealPrivateKey(key, secret).replace(".v1.", ".v9."), secret), "sealed-key-version"],
    ["something else", () => openPrivateKey("-----BEGIN PRIVATE KEY-----", secret), "sealed-key-format"],
    ["missing fields", () => openPrivateKey(sealPrivateKey(key, secret).split(".").slice(0, 5).join("."), secret), "sealed-key-format"],
    ["a short secret", () => sealPrivateKey(key, "too-short"), "weak-key-material"],
  ])("refuses %s", (_what, fn, code) => {
    expect(codeOf(fn)).toBe(code);
  });

  it("never quotes key material in errors", () => {
    const pem = key.exportPem();
    const broken = pem.replace(/[A-Za-z]{4}\n/, "!!!!\n");
    try {
      sealPrivateKey(broken, secret);
      expect.unreachable();
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(pem.split("\n")[1]);
    }
  });
});

describe("sealed secrets (channel tokens, signing secrets)", () => {
  const secret = "an operator secret of at least thirty-two bytes!!";

  it("round-trips any text in the same envelope, bound to its context", () => {
    const sealed = sealSecret('{"token":"ghp_example"}', secret, { context: "channel/abc" });
    expect(sealed).not.toContain("ghp_example");
    expect(openSecret(sealed, secret, { context: "channel/abc" })).toBe('{"token":"ghp_example"}');
    expect(() => openSecret(sealed, secret, { context: "channel/other" })).toThrow(IdentityError);
  });

  it("never opens as a private key, nor a private key as a secret", () => {
    const sealed = sealSecret("text", secret, { context: "x" });
    expect(() => openPrivateKey(sealed, secret, { context: "x" })).toThrow(IdentityError);
    expect(() => openPrivateKey(sealed, secret, { context: "secret\0x" })).toThrow(IdentityError);
  });
});
