import { describe, expect, it } from "vitest";
import { doc, issuesOf } from "../testing/fixtures.ts";

const external = (extra: Record<string, unknown> = {}) => doc("ExternalService", { hosts: ["api.stripe.com"], ports: [{ name: "http", number: 80, protocol: "HTTP" }], ...extra });

describe("ExternalService schema", () => {
  it.each([
    ["plain HTTPS passthrough", external({ ports: [{ number: 443, protocol: "HTTPS" }] })],
    ["TLS origination", external({ tls: { mode: "SIMPLE", sni: "api.stripe.com" } })],
    ["mutual TLS origination", external({ hosts: ["*.bank.example"], tls: { mode: "MUTUAL", clientCertificateRef: { name: "bank-client" }, caCertificateRef: { name: "bank-ca" } } })],
  ])("accepts %s", (_name, value) => {
    expect(issuesOf(value)).toEqual([]);
  });

  it.each<[string, unknown, string[]]>([
    ["no hosts", external({ hosts: [] }), ["spec.hosts: too_small"]],
    ["an upper-case host", external({ hosts: ["API.stripe.com"] }), ["spec.hosts[0]: invalid_format"]],
    ["a port without protocol", external({ ports: [{ number: 80 }] }), ["spec.ports[0].protocol: required"]],
    ["the same port twice", external({ ports: [{ number: 80, protocol: "HTTP" }, { number: 80, protocol: "TCP" }] }), ["spec.ports[1].number: duplicate"]],
    ["MUTUAL without a client certificate", external({ tls: { mode: "MUTUAL" } }), ["spec.tls.clientCertificateRef: required"]],
    ["a client certificate with SIMPLE", external({ tls: { mode: "SIMPLE", clientCertificateRef: { name: "c" } } }), ["spec.tls.clientCertificateRef: unused_setting"]],
    ["a wildcard SNI", external({ tls: { mode: "SIMPLE", sni: "*.stripe.com" } }), ["spec.tls.sni: invalid_hostname"]],
    ["origination with only encrypted ports", external({ ports: [{ number: 443, protocol: "HTTPS" }], tls: { mode: "SIMPLE" } }), ["spec.tls.mode: unused_setting"]],
  ])("rejects %s", (_name, value, expected) => {
    expect(issuesOf(value)).toEqual(expected);
  });
});
