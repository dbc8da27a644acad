import { describe, expect, it } from "vitest";
import { judgeAudit, type AuditException, type AuditReport } from "../src/audit.ts";

const advisory = (name: string, url: string, severity = "high"): AuditReport => ({ vulnerabilities: { [name]: { severity, via: [{ source: 1, url, title: `${name} flaw`, severity }] } } });
const exception = (over: Partial<AuditException> = {}): AuditException => ({ advisory: "GHSA-aaaa-bbbb-cccc", package: "left-pad", reason: "only reached in tests", added: "2026-12-01", reviewBy: "2027-03-01", ...over });
const url = "https://github.com/advisories/GHSA-aaaa-bbbb-cccc";

describe("judgeAudit", () => {
  it.each<[string, AuditReport, AuditException[], string, { failures: number; accepted: number; stale: number }]>([
    ["a clean report", { vulnerabilities: {} }, [], "2026-12-06", { failures: 0, accepted: 0, stale: 0 }],
    ["an advisory without an exception fails", advisory("left-pad", url), [], "2026-12-06", { failures: 1, accepted: 0, stale: 0 }],
    ["a live exception accepts it", advisory("left-pad", url), [exception()], "2026-12-06", { failures: 0, accepted: 1, stale: 0 }],
    ["an exception past its review date no longer holds", advisory("left-pad", url), [exception()], "2027-03-02", { failures: 1, accepted: 0, stale: 1 }],
    ["an exception for another package does not apply", advisory("right-pad", url), [exception()], "2026-12-06", { failures: 1, accepted: 0, stale: 1 }],
    ["an exception whose advisory is gone is stale", { vulnerabilities: {} }, [exception()], "2026-12-06", { failures: 0, accepted: 0, stale: 1 }],
    ["transitive entries (string via) are judged at their source", { vulnerabilities: { parent: { severity: "high", via: ["left-pad"] }, ...advisory("left-pad", url).vulnerabilities } }, [exception()], "2026-12-06", { failures: 0, accepted: 1, stale: 0 }],
  ])("%s", (_name, report, exceptions, today, expected) => {
    const j = judgeAudit(report, exceptions, today);
    expect({ failures: j.failures.length, accepted: j.accepted.length, stale: j.stale.length }).toEqual(expected);
  });
});
