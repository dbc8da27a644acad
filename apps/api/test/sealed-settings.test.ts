// A sealed OIDC client secret: made by weft-seal with the mesh CA key, opened
// by the manager at start with the same key, refused (naming the variable)
// with another key or none.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EnvError } from "../src/env.ts";
import { openSetting } from "../src/sealed-settings.ts";

const caKey = randomBytes(32);
const seal = (secret: string, key: Buffer) =>
  spawnSync(process.execPath, [join(import.meta.dirname, "../bin/weft-seal.js"), "WEFT_OIDC_CLIENT_SECRET"], {
    input: `${secret}\n`,
    env: { PATH: process.env.PATH, WEFT_CA_KEY: key.toString("base64"), WEFT_HOME: "/nonexistent" },
    encoding: "utf8",
    timeout: 60_000,
  });

describe("sealed settings", () => {
  it("weft-seal prints an envelope without the secret, which the manager opens with the same CA key", () => {
    const run = seal("the-oidc-client-secret", caKey);
    expect(run.status, run.stderr).toBe(0);
    const envelope = run.stdout.trim();
    expect(envelope).toMatch(/^weft-sealed-secret\.v1\./);
    expect(envelope).not.toContain("the-oidc-client-secret");
    expect(openSetting("WEFT_OIDC_CLIENT_SECRET", envelope, caKey)).toBe("the-oidc-client-secret");
  });

  it("refuses, naming the variable, a sealed value without a CA key or with another one; plain values pass", () => {
    const envelope = seal("s3cret", caKey).stdout.trim();
    const refusal = (key: Buffer | null) => {
      try {
        openSetting("WEFT_OIDC_CLIENT_SECRET", envelope, key);
        return "opened";
      } catch (err) {
        return err instanceof EnvError ? err.message : `unexpected ${String(err)}`;
      }
    };
    expect(refusal(null)).toMatch(/^WEFT_OIDC_CLIENT_SECRET: is sealed, but no WEFT_CA_KEY/);
    expect(refusal(randomBytes(32))).toMatch(/^WEFT_OIDC_CLIENT_SECRET: is sealed but does not open with the configured WEFT_CA_KEY/);
    expect(refusal(caKey)).toBe("opened");
    expect(openSetting("WEFT_OIDC_CLIENT_SECRET", "plain-secret", null)).toBe("plain-secret");
  });
});
