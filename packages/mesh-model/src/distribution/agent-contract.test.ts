// The agent↔manager contract refuses what the manager must never store and
// names the field, for both ends (the manager validates with these schemas,
// the agent types what it sends with them).
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { AckTrustBundleInputSchema, ReportCertificatesInputSchema, SignedIntermediateSchema } from "./agent-identity.schema.ts";
import { AgentJoinInputSchema } from "./agent-session.schema.ts";
import { ConfigAckSchema } from "./config-ack.schema.ts";

const fingerprint = "a".repeat(64);
const certificate = {
  spiffeId: "spiffe://weft.local/ns/shop/sa/cart",
  subject: "O=Weft",
  issuer: "CN=east",
  serial: "0a1b",
  notBefore: "2030-01-01T00:00:00Z",
  notAfter: "2030-01-02T00:00:00Z",
  rootFingerprint: fingerprint,
};

function firstIssue(schema: z.ZodType, value: unknown): { path: string; message: string } | null {
  const result = schema.safeParse(value);
  if (result.success) return null;
  const issue = result.error.issues[0];
  return { path: (issue?.path ?? []).join("."), message: issue?.message ?? "" };
}

describe("agent↔manager contract", () => {
  it.each([
    ["a rejection without its reason", ConfigAckSchema, { configVersion: "3", status: "rejected" }, "reason", /needs a reason/],
    ["a config version that is not one", ConfigAckSchema, { configVersion: "v3", status: "applied" }, "configVersion", /config version/],
    ["a proxy outcome it does not know", ConfigAckSchema, { configVersion: "3", status: "applied", proxies: [{ proxy: "shop/a", status: "maybe" }] }, "proxies.0.status", /./],
    ["a diagnostic of a severity it does not know", ConfigAckSchema, { configVersion: "3", status: "applied", diagnostics: [{ severity: "fatal", code: "x", message: "m", path: "catalog", proxies: ["shop/a"], proxyCount: 1 }] }, "diagnostics.0.severity", /./],
    ["a diagnostic no proxy reported", ConfigAckSchema, { configVersion: "3", status: "applied", diagnostics: [{ severity: "warning", code: "x", message: "m", path: "catalog", proxies: [], proxyCount: 1 }] }, "diagnostics.0.proxies", /./],
    ["the same serial twice", ReportCertificatesInputSchema, { certificates: [certificate, certificate] }, "certificates.1.serial", /duplicate serial/],
    ["a certificate that ends before it starts", ReportCertificatesInputSchema, { certificates: [{ ...certificate, notAfter: "2029-01-01T00:00:00Z" }] }, "certificates.0.notAfter", /after notBefore/],
    ["a SPIFFE ID that is not one", ReportCertificatesInputSchema, { certificates: [{ ...certificate, spiffeId: "cart" }] }, "certificates.0.spiffeId", /spiffe/],
    ["more proxies current than exist", AckTrustBundleInputSchema, { bundleVersion: "2", proxies: { total: 1, current: 2 } }, "proxies.current", /cannot exceed/],
    ["a signed intermediate with a malformed root fingerprint", SignedIntermediateSchema, { certificatePem: "x", chainPem: [], rootFingerprint: "AB", notAfter: "2030-01-01T00:00:00Z" }, "rootFingerprint", /SHA-256/],
    ["a join without its token", AgentJoinInputSchema, { agentVersion: "1.0" }, "joinToken", /./],
  ] as const)("refuses %s, naming the field", (_what, schema, value, path, message) => {
    const issue = firstIssue(schema, value);
    expect(issue?.path).toBe(path);
    expect(issue?.message).toMatch(message);
  });

  it.each([
    ["an applied ack (proxies default to none)", ConfigAckSchema, { configVersion: "3", status: "applied" }],
    [
      "an ack with the compiler's findings",
      ConfigAckSchema,
      { configVersion: "3", status: "applied", diagnostics: [{ severity: "warning", code: "not_exported", message: "shop/reviews is not exported", path: "catalog", service: "shop/reviews", proxies: ["shop/frontend"], proxyCount: 1 }] },
    ],
    ["a certificate inventory", ReportCertificatesInputSchema, { certificates: [certificate] }],
    ["a bundle every proxy runs", AckTrustBundleInputSchema, { bundleVersion: "2", proxies: { total: 2, current: 2 } }],
  ] as const)("accepts %s", (_what, schema, value) => {
    expect(firstIssue(schema, value)).toBeNull();
  });
});
