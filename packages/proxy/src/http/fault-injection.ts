// Which requests a fault-injection filter applies to: all, or only those
// carrying every listed header (so testers can target their own requests).
// Header patterns are compiled once per filter object (per config).
import type { IncomingHttpHeaders } from "node:http";
import type { FaultInjection } from "@weft/mesh-model/proxy-config";

type HeaderTest = (headers: IncomingHttpHeaders) => boolean;

const compiled = new WeakMap<FaultInjection, HeaderTest>();

function compile(fault: FaultInjection): HeaderTest {
  const tests = fault.headers.map((h): HeaderTest => {
    const name = h.name.toLowerCase();
    const value = (headers: IncomingHttpHeaders) => {
      const v = headers[name];
      return v === undefined ? undefined : Array.isArray(v) ? v.join(", ") : v;
    };
    if (h.type === "Exact") return (headers) => value(headers) === h.value;
    const re = new RegExp(`^(?:${h.value})$`);
    return (headers) => {
      const v = value(headers);
      return v !== undefined && re.test(v);
    };
  });
  return (headers) => tests.every((t) => t(headers));
}

/** True when the fault applies to a request with these headers. */
export function faultMatches(fault: FaultInjection, headers: IncomingHttpHeaders): boolean {
  if (fault.headers.length === 0) return true;
  let test = compiled.get(fault);
  if (!test) compiled.set(fault, (test = compile(fault)));
  return test(headers);
}
