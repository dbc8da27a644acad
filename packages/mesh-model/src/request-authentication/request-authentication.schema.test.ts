import { describe, expect, it } from "vitest";
import { doc, issuesOf } from "../testing/fixtures.ts";

const JWKS = JSON.stringify({ keys: [{ kty: "EC", crv: "P-256", x: "x", y: "y", kid: "1" }] });
const authn = (rules: unknown[], extra: Record<string, unknown> = {}) => doc("RequestAuthentication", { jwtRules: rules, ...extra });
const jwt = (extra: Record<string, unknown> = {}) => ({ issuer: "https://auth.example.com", jwks: { type: "Inline", inline: JWKS }, ...extra });

describe("RequestAuthentication schema", () => {
  it.each([
    ["an inline key set", authn([jwt()], { targetRef: { name: "checkout" } })],
    ["a remote key set and token locations", authn([jwt({ jwks: { type: "Remote", uri: "https://auth.example.com/.well-known/jwks.json" }, audiences: ["shop"], fromHeaders: [{ name: "x-token" }], fromParams: ["token"], claimsToHeaders: [{ claim: "org.id", header: "x-org" }] })])],
    ["a file key set", authn([jwt({ jwks: { type: "File", path: "/etc/weft/jwks.json" } })])],
    ["plain http on loopback", authn([jwt({ jwks: { type: "Remote", uri: "http://127.0.0.1:8080/jwks" } })])],
  ])("accepts %s", (_name, value) => {
    expect(issuesOf(value)).toEqual([]);
  });

  it.each<[string, unknown, string[]]>([
    ["no rules", authn([]), ["spec.jwtRules: too_small"]],
    ["inline text that is not JSON", authn([jwt({ jwks: { type: "Inline", inline: "{keys:" } })]), ["spec.jwtRules[0].jwks.inline: invalid_jwks"]],
    ["inline JSON without keys", authn([jwt({ jwks: { type: "Inline", inline: "{}" } })]), ["spec.jwtRules[0].jwks.inline: invalid_jwks"]],
    ["a relative file path", authn([jwt({ jwks: { type: "File", path: "jwks.json" } })]), ["spec.jwtRules[0].jwks.path: invalid_format"]],
    ["a plain http URL", authn([jwt({ jwks: { type: "Remote", uri: "http://auth.example.com/jwks" } })]), ["spec.jwtRules[0].jwks.uri: invalid_url"]],
    ["an unknown key source", authn([jwt({ jwks: { type: "Vault" } })]), ["spec.jwtRules[0].jwks.type: invalid_value"]],
    ["the same issuer twice", authn([jwt(), jwt()]), ["spec.jwtRules[1].issuer: duplicate"]],
    ["a claim copied to an invalid header", authn([jwt({ claimsToHeaders: [{ claim: "sub", header: "x user" }] })]), ["spec.jwtRules[0].claimsToHeaders[0].header: invalid_format"]],
    ["two claims into one header", authn([jwt({ claimsToHeaders: [{ claim: "sub", header: "x-user" }, { claim: "email", header: "X-User" }] })]), ["spec.jwtRules[0].claimsToHeaders[1].header: duplicate"]],
  ])("rejects %s", (_name, value, expected) => {
    expect(issuesOf(value)).toEqual(expected);
  });
});
