import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "../src/env.ts";

describe("parseEnv", () => {
  it("applies defaults and resolves WEFT_HOME against the working directory", () => {
    const env = parseEnv({}, "/srv/weft");
    expect(env).toMatchObject({ WEFT_API_HOST: "127.0.0.1", WEFT_API_PORT: 4000, WEFT_HOME: "/srv/weft/.weft" });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it.each([
    [{ WEFT_API_PORT: "abc" }, 'WEFT_API_PORT: must be a port number (got "abc")'],
    [{ WEFT_API_PORT: "70000" }, 'WEFT_API_PORT: must be between 0 and 65535 (got "70000")'],
    [{ WEFT_DB_PORT: "1.5" }, 'WEFT_DB_PORT: must be a whole number (got "1.5")'],
    [{ WEFT_LOG_LEVEL: "loud" }, "WEFT_LOG_LEVEL:"],
    [{ DATABASE_URL: " " }, "DATABASE_URL: is empty; unset it to use the embedded database"],
    [{ WEFT_TRUST_DOMAIN: "Weft Local" }, "WEFT_TRUST_DOMAIN: must be a lowercase DNS name"],
    [{ WEFT_COOKIE_SECURE: "yes" }, "WEFT_COOKIE_SECURE:"],
    [{ WEFT_API_HOST: "0.0.0.0" }, "WEFT_API_HOST: is 0.0.0.0, reachable from other machines, and the manager has no TLS"],
    [{ WEFT_API_HOST: "10.1.2.3" }, "Set WEFT_API_TLS_CERT_FILE and WEFT_API_TLS_KEY_FILE to serve https, or WEFT_API_ALLOW_PLAINTEXT=true"],
    [{ WEFT_API_HOST: "0.0.0.0", WEFT_API_TLS_CERT_FILE: "/etc/weft/tls.crt" }, "WEFT_API_TLS_KEY_FILE: is required with WEFT_API_TLS_CERT_FILE"],
    [{ WEFT_API_ALLOW_PLAINTEXT: "yes" }, 'WEFT_API_ALLOW_PLAINTEXT: must be "true" or "false"'],
    [{ WEFT_OUTBOUND_ALLOW: "10.0.0.0/8,10.0.0.0/40" }, 'WEFT_OUTBOUND_ALLOW: entry "10.0.0.0/40" has a bad prefix length: must be 0 to 32'],
    [{ WEFT_OUTBOUND_ALLOW: "https://hooks.internal" }, 'WEFT_OUTBOUND_ALLOW: entry "https://hooks.internal" is a URL: list its host name'],
    [{ WEFT_OIDC_ISSUER: "https://id.example.com" }, "WEFT_OIDC_CLIENT_ID: is required with WEFT_OIDC_ISSUER"],
    [
      { WEFT_OIDC_ISSUER: "http://id.example.com", WEFT_OIDC_CLIENT_ID: "weft", WEFT_OIDC_CLIENT_SECRET: "s", WEFT_OIDC_REDIRECT_URL: "https://weft.example.com/auth/oidc/callback" },
      "WEFT_OIDC_ISSUER: must be https (plain http only on loopback)",
    ],
  ])("names the variable: %o", (source, message) => {
    expect(() => parseEnv(source)).toThrow(EnvError);
    expect(() => parseEnv(source)).toThrow(message);
  });

  it.each([
    [{}],
    [{ WEFT_API_HOST: "127.0.0.2" }],
    [{ WEFT_API_HOST: "localhost" }],
    [{ WEFT_API_HOST: "::1" }],
    [{ WEFT_API_HOST: "0.0.0.0", WEFT_API_TLS_CERT_FILE: "tls.crt", WEFT_API_TLS_KEY_FILE: "tls.key" }],
    [{ WEFT_API_HOST: "0.0.0.0", WEFT_API_ALLOW_PLAINTEXT: "true" }],
  ])("serves on loopback, with TLS, or plain http only when told explicitly: %o", (source) => {
    expect(() => parseEnv(source, "/srv/weft")).not.toThrow();
  });

  it("a manager started on a non-loopback address without TLS refuses to start, naming the setting", () => {
    const run = spawnSync(process.execPath, [join(import.meta.dirname, "../bin/weft-manager.js")], {
      env: { PATH: process.env.PATH, WEFT_API_HOST: "0.0.0.0", WEFT_API_PORT: "0", WEFT_HOME: "/nonexistent" },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("WEFT_API_HOST: is 0.0.0.0, reachable from other machines");
    expect(run.stderr).toContain("WEFT_API_TLS_CERT_FILE");
    expect(run.stderr).toContain("WEFT_API_ALLOW_PLAINTEXT=true");
  });

  it("reads the trust domain and a complete OIDC configuration", () => {
    const env = parseEnv({
      WEFT_TRUST_DOMAIN: "mesh.example.com",
      WEFT_OIDC_ISSUER: "https://id.example.com",
      WEFT_OIDC_CLIENT_ID: "weft",
      WEFT_OIDC_CLIENT_SECRET: "s3cret",
      WEFT_OIDC_REDIRECT_URL: "https://weft.example.com/auth/oidc/callback",
    });
    expect(env).toMatchObject({ WEFT_TRUST_DOMAIN: "mesh.example.com", WEFT_OIDC_DEFAULT_ROLE: "VIEWER", WEFT_COOKIE_SECURE: "auto" });
    expect(parseEnv({}).WEFT_TRUST_DOMAIN).toBe("weft.local");
  });

  it("reports every bad variable at once and never echoes DATABASE_URL", () => {
    const err = (() => {
      try {
        parseEnv({ WEFT_API_PORT: "x", WEFT_LOG_LEVEL: "loud", DATABASE_URL: "" });
      } catch (e) {
        return e as EnvError;
      }
    })();
    expect(err?.problems.map((p) => p.variable).sort()).toEqual(["DATABASE_URL", "WEFT_API_PORT", "WEFT_LOG_LEVEL"]);
  });
});
