import { describe, expect, it } from "vitest";
import { addressKind, egressAllowProblems, egressRefusal, LOOPBACK_ALLOWED, parseEgressAllow, PUBLIC_ONLY, urlRefusal } from "./egress-policy.ts";

describe("egress policy", () => {
  it.each([
    ["93.184.216.34", null],
    ["2606:2800:220:1:248:1893:25c8:1946", null],
    ["169.254.169.254", "link-local"],
    ["fe80::1", "link-local"],
    ["::ffff:169.254.169.254", "link-local"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["224.0.0.1", "multicast or broadcast"],
    ["255.255.255.255", "multicast or broadcast"],
    ["127.0.0.1", "loopback"],
    ["127.8.9.10", "loopback"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["10.1.2.3", "private"],
    ["172.20.0.1", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "private"],
    ["fd00:ec2::254", "private"],
    ["64:ff9b::a9fe:a9fe", "private"],
    ["::ffff:10.0.0.1", "private"],
  ])("classifies %s as %s", (address, kind) => {
    expect(addressKind(address)?.kind ?? null).toBe(kind);
  });

  it.each([
    // [policy, host, address, allowed]
    ["", "hooks.example", "93.184.216.34", true],
    ["", "127.0.0.1", "127.0.0.1", false],
    ["", "hooks.example", "10.0.0.5", false],
    [LOOPBACK_ALLOWED, "127.0.0.1", "127.0.0.1", true],
    [LOOPBACK_ALLOWED, "localhost", "::1", true],
    [LOOPBACK_ALLOWED, "hooks.example", "10.0.0.5", false],
    ["10.0.0.0/8", "hooks.example", "10.0.0.5", true],
    ["10.0.0.0/8", "hooks.example", "10.0.0.5", true],
    ["10.0.0.5", "hooks.example", "10.0.0.6", false],
    ["fd00::/8", "hooks.example", "fd00:ec2::254", true],
    // A host name entry lets that name reach loopback and private addresses…
    ["hooks.internal", "hooks.internal", "10.0.0.5", true],
    ["hooks.internal", "HOOKS.internal.", "10.0.0.5", true],
    ["*.corp.example", "jira.corp.example", "192.168.3.4", true],
    ["*.corp.example", "corp.example", "192.168.3.4", false],
    ["hooks.internal", "other.internal", "10.0.0.5", false],
    // …but never the metadata service: that takes an address or CIDR entry.
    ["hooks.internal", "hooks.internal", "169.254.169.254", false],
    ["169.254.169.254", "hooks.internal", "169.254.169.254", true],
  ])("policy %j: %s at %s allowed=%s", (allow, host, address, allowed) => {
    expect(egressRefusal(parseEgressAllow(allow), host, address) === null).toBe(allowed);
  });

  it("says why it refuses and what to set, naming the host and the address", () => {
    expect(egressRefusal(PUBLIC_ONLY, "rebind.example", "169.254.169.254")?.message).toBe(
      "refused to connect: rebind.example resolves to 169.254.169.254, which is a link-local address (cloud metadata services answer there); only an address or CIDR entry in WEFT_OUTBOUND_ALLOW covering 169.254.169.254 allows it",
    );
    expect(egressRefusal(PUBLIC_ONLY, "10.0.0.5", "10.0.0.5")?.message).toBe(
      "refused to connect: 10.0.0.5 is a private address (it is inside the manager's network); add a CIDR covering 10.0.0.5 to WEFT_OUTBOUND_ALLOW to allow it",
    );
  });

  it.each([
    ["http://169.254.169.254/latest/meta-data", "link-local"],
    ["http://[::ffff:a9fe:a9fe]/", "link-local"],
    ["http://2130706433/", "loopback"],
    ["http://localhost:8080/hook", "loopback"],
    ["https://hooks.slack.com/services/T/B/x", null],
    ["https://10.0.0.5/hook", "private"],
  ])("judges what a URL alone tells: %s", (url, kind) => {
    const refusal = urlRefusal(PUBLIC_ONLY, url);
    expect(refusal === null ? null : kind).toBe(kind);
    if (kind) expect(refusal?.message).toContain(`a ${kind} address`);
  });

  it.each([
    ["10.0.0.0/8, 192.168.0.0/16,hooks.internal,*.corp.example,::1,fd00::/8", []],
    ["10.0.0.0/33", ['"10.0.0.0/33" has a bad prefix length: must be 0 to 32']],
    ["fd00::/129", ['"fd00::/129" has a bad prefix length: must be 0 to 128']],
    ["10.0.0/8", ['"10.0.0/8" is not a CIDR: the part before / must be an IPv4 or IPv6 address']],
    ["http://hooks.internal", ['"http://hooks.internal" is a URL: list its host name (hooks.internal), an address or a CIDR']],
    ["hooks_internal", ['"hooks_internal" is neither an address, a CIDR (10.0.0.0/8), a host name (hooks.internal) nor a wildcard (*.corp.example)']],
  ])("parses WEFT_OUTBOUND_ALLOW %j", (text, problems) => {
    expect(egressAllowProblems(text).map((p) => `"${p.entry}" ${p.message}`)).toEqual(problems);
  });
});
