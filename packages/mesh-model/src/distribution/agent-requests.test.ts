import { describe, expect, it } from "vitest";
import { redactSecrets } from "./agent-requests.schema.ts";

describe("redactSecrets", () => {
  it.each([
    [{ listeners: [{ name: "inbound", port: 15006 }] }, { listeners: [{ name: "inbound", port: 15006 }] }],
    [{ rateLimits: { redis: { url: "redis://x", password: "hunter2" } } }, { rateLimits: { redis: { url: "redis://x", password: "[redacted]" } } }],
    [{ jwt: [{ issuer: "i", clientSecret: "s", jwks: { keys: [{ kty: "RSA", n: "abc" }] } }] }, { jwt: [{ issuer: "i", clientSecret: "[redacted]", jwks: { keys: [{ kty: "RSA", n: "abc" }] } }] }],
    [{ identity: { privateKey: "-----BEGIN", certificate: "-----BEGIN CERT" } }, { identity: { privateKey: "[redacted]", certificate: "-----BEGIN CERT" } }],
    [{ apiKey: "k", token: "", accessToken: null }, { apiKey: "[redacted]", token: "", accessToken: null }],
  ])("%j", (input, expected) => {
    expect(redactSecrets(input)).toEqual(expected);
  });
});
