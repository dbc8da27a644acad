import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { EnvError, isCaKeyText, type Env } from "../../env.ts";

/** Where the embedded default keeps its generated CA key. */
export function defaultCaKeyPath(home: string): string {
  return join(home, "ca.key");
}

function decode(text: string, variable: string): Buffer {
  const trimmed = text.trim();
  // The value itself is never put in the message: it is the secret.
  if (!isCaKeyText(trimmed)) throw new EnvError([{ variable, message: "must be base64 of at least 32 random bytes (generate one with `openssl rand -base64 32`)" }]);
  return Buffer.from(trimmed, "base64");
}

async function readKeyFile(path: string, variable: string): Promise<Buffer> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new EnvError([{ variable, message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }]);
  }
  return decode(text, variable === "WEFT_CA_KEY_FILE" ? variable : `${variable} (${path})`);
}

/**
 * The key that seals the mesh CA's private key: WEFT_CA_KEY, the file in
 * WEFT_CA_KEY_FILE, or, on the embedded default (no DATABASE_URL) with
 * neither set, `$WEFT_HOME/ca.key`, created (mode 0600) on the first start
 * so `npm start` needs no setup. Null with a real DATABASE_URL and no key:
 * the manager serves, and identity calls answer PRECONDITION_FAILED.
 */
export async function loadCaKey(env: Pick<Env, "WEFT_CA_KEY" | "WEFT_CA_KEY_FILE" | "DATABASE_URL" | "WEFT_HOME">): Promise<{ key: Buffer; source: string } | null> {
  if (env.WEFT_CA_KEY) return { key: decode(env.WEFT_CA_KEY, "WEFT_CA_KEY"), source: "WEFT_CA_KEY" };
  if (env.WEFT_CA_KEY_FILE) return { key: await readKeyFile(env.WEFT_CA_KEY_FILE, "WEFT_CA_KEY_FILE"), source: env.WEFT_CA_KEY_FILE };
  if (env.DATABASE_URL) return null;
  const path = defaultCaKeyPath(env.WEFT_HOME);
  await mkdir(env.WEFT_HOME, { recursive: true });
  try {
    // "wx": never overwrite a key that sealed existing CAs, even if two starts race.
    await writeFile(path, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  return { key: await readKeyFile(path, "WEFT_HOME/ca.key"), source: path };
}
