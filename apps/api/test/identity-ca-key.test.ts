// WEFT_CA_KEY / WEFT_CA_KEY_FILE: parsed with errors that name the variable
// (never echo the key), and created on the embedded default's first start.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "../src/env.ts";
import { loadCaKey } from "../src/features/identity/ca-key.ts";

describe("the CA key setting", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "weft-ca-key-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    [{ WEFT_CA_KEY: "c2hvcnQ=" }, "WEFT_CA_KEY: must be base64 of at least 32 random bytes"],
    [{ WEFT_CA_KEY: "not base64 at all, but long enough to be 32 bytes" }, "WEFT_CA_KEY: must be base64"],
    [{ WEFT_CA_KEY: randomBytes(32).toString("base64"), WEFT_CA_KEY_FILE: "/etc/weft/ca.key" }, "WEFT_CA_KEY_FILE: set WEFT_CA_KEY or WEFT_CA_KEY_FILE, not both"],
  ])("names the variable and never echoes the key: %o", (source, message) => {
    expect(() => parseEnv(source)).toThrow(EnvError);
    expect(() => parseEnv(source)).toThrow(message);
    const text = (() => {
      try {
        parseEnv(source);
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(text).not.toContain(source.WEFT_CA_KEY);
  });

  it("reads WEFT_CA_KEY and WEFT_CA_KEY_FILE as the same 32 bytes", async () => {
    const key = randomBytes(32);
    const file = join(dir, "operator.key");
    await writeFile(file, `${key.toString("base64")}\n`);
    const fromEnv = await loadCaKey(parseEnv({ WEFT_CA_KEY: key.toString("base64"), DATABASE_URL: "postgresql://db/weft" }));
    const fromFile = await loadCaKey(parseEnv({ WEFT_CA_KEY_FILE: file, DATABASE_URL: "postgresql://db/weft" }));
    expect(fromEnv?.key.equals(key)).toBe(true);
    expect(fromFile?.key.equals(key)).toBe(true);
    await expect(loadCaKey(parseEnv({ WEFT_CA_KEY_FILE: join(dir, "missing.key") }))).rejects.toThrow("WEFT_CA_KEY_FILE: cannot read");
  });

  it("is absent with a real DATABASE_URL and none set, and created once (mode 0600) on the embedded default", async () => {
    expect(await loadCaKey(parseEnv({ DATABASE_URL: "postgresql://db/weft", WEFT_HOME: dir }))).toBeNull();
    const home = join(dir, "home");
    const first = await loadCaKey(parseEnv({ WEFT_HOME: home }));
    expect(first?.key.length).toBe(32);
    expect((await stat(join(home, "ca.key"))).mode & 0o777).toBe(0o600);
    const again = await loadCaKey(parseEnv({ WEFT_HOME: home }));
    expect(again?.key.equals(first!.key)).toBe(true);
    expect((await readFile(join(home, "ca.key"), "utf8")).trim()).toBe(first!.key.toString("base64"));
  });
});
