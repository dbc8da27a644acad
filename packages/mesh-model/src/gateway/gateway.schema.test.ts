import { describe, expect, it } from "vitest";
import { doc, issuesOf } from "../testing/fixtures.ts";

const gateway = (listeners: unknown[], mode = "ingress") => doc("Gateway", { mode, listeners });
const https = (extra: Record<string, unknown> = {}) => ({ name: "https", port: 443, protocol: "HTTPS", hosts: ["shop.example.com"], tls: { certificateRefs: [{ name: "shop-cert" }] }, ...extra });

describe("Gateway schema", () => {
  it.each([
    ["HTTP and HTTPS", gateway([{ name: "http", port: 80, protocol: "HTTP" }, https()])],
    ["HTTPS and TLS passthrough sharing a port by SNI", gateway([https(), { name: "tls", port: 443, protocol: "TLS", hosts: ["db.example.com"], tls: { mode: "Passthrough" } }])],
    ["an east-west gateway", gateway([{ name: "mesh", port: 15443, protocol: "TLS", tls: { mode: "Passthrough" } }], "east-west")],
    ["an egress TCP listener", gateway([{ name: "smtp", port: 25, protocol: "TCP" }], "egress")],
  ])("accepts %s", (_name, value) => {
    expect(issuesOf(value)).toEqual([]);
  });

  it.each<[string, unknown, string[]]>([
    ["an unknown mode", gateway([https()], "sidecar"), ["spec.mode: invalid_value"]],
    ["no listeners", gateway([]), ["spec.listeners: too_small"]],
    ["HTTPS without TLS settings", gateway([https({ tls: undefined })]), ["spec.listeners[0].tls: required"]],
    ["HTTPS without certificates", gateway([https({ tls: {} })]), ["spec.listeners[0].tls.certificateRefs: required"]],
    ["HTTPS passthrough", gateway([https({ tls: { mode: "Passthrough" } })]), ["spec.listeners[0].tls.mode: invalid_tls"]],
    ["TLS settings on plain HTTP", gateway([{ name: "http", port: 80, protocol: "HTTP", tls: { certificateRefs: [{ name: "c" }] } }]), ["spec.listeners[0].tls: unused_setting"]],
    ["hosts on TCP", gateway([{ name: "tcp", port: 5432, protocol: "TCP", hosts: ["db.example.com"] }]), ["spec.listeners[0].hosts: unused_setting"]],
    ["a wildcard in the middle of a host", gateway([https({ hosts: ["shop.*.com"] })]), ["spec.listeners[0].hosts[0]: invalid_format"]],
    ["duplicate listener names", gateway([https(), https({ port: 8443 })]), ["spec.listeners[1].name: duplicate"]],
    ["HTTP and HTTPS on one port", gateway([{ name: "http", port: 443, protocol: "HTTP" }, https()]), ["spec.listeners[1].protocol: port_conflict"]],
    ["a host claimed twice on one port", gateway([https(), https({ name: "other" })]), ["spec.listeners[1].hosts[0]: duplicate_host"]],
    ["two catch-all listeners on one port", gateway([{ name: "a", port: 80, protocol: "HTTP" }, { name: "b", port: 80, protocol: "HTTP" }]), ["spec.listeners[1]: duplicate_host"]],
    ["a port out of range", gateway([{ name: "http", port: 70000, protocol: "HTTP" }]), ["spec.listeners[0].port: too_big"]],
  ])("rejects %s", (_name, value, expected) => {
    expect(issuesOf(value)).toEqual(expected);
  });
});
