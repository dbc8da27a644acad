"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useTRPC } from "../../trpc/context.ts";
import { hrefWithFilters } from "../shell/view-filters.ts";
import { ErrorState } from "../ui/states.tsx";
import { causeSentence, type ReasonContext } from "./failure-reasons.ts";

type Service = { namespace: string; service: string };

/**
 * Why a node or edge is unhealthy, in words: which thresholds its numbers
 * crossed, and, from the recorded spans, the statuses and response flags of
 * its failed requests with where they happened, each with links to traces
 * that show it (opened as a waterfall on the service page).
 */
export function WhyUnhealthy({ destination, source, window, thresholdReasons }: { destination: Service; source?: Service | undefined; window: { from: Date; to: Date }; thresholdReasons: string[] }) {
  const trpc = useTRPC();
  const params = useSearchParams();
  const causes = useQuery(trpc.telemetry.failureCauses.queryOptions({ destination, ...(source ? { source } : {}), from: window.from, to: window.to }, { placeholderData: (p) => p }));
  const context: ReasonContext = { destination, source };
  const traceHref = (traceId: string) => hrefWithFilters("/services/detail", params, { service: `${destination.namespace}/${destination.service}`, trace: traceId });
  const failedHref = hrefWithFilters("/services/detail", params, { service: `${destination.namespace}/${destination.service}`, failed: "1" });
  return (
    <section className="why" aria-labelledby="why-heading" data-testid="why-unhealthy">
      <h3 id="why-heading">Why</h3>
      {thresholdReasons.length > 0 ? (
        <ul data-testid="threshold-reasons">
          {thresholdReasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      ) : null}
      {causes.isError ? <ErrorState error={causes.error} title="Could not load the failed requests" /> : null}
      {causes.data && causes.data.causes.length > 0 ? (
        <ul data-testid="failure-causes">
          {causes.data.causes.map((c) => (
            <li key={`${c.statusCode}|${c.responseFlags}|${c.recordedBy.cluster}|${c.recordedBy.namespace}/${c.recordedBy.service}`} data-testid="failure-cause">
              <strong>{causeSentence(c, context)}</strong>
              <span className="muted"> ({c.count} of {causes.data.requests} traced requests)</span>
              <span className="row" style={{ gap: "0.4rem", flexWrap: "wrap" }}>
                {c.traceIds.map((id, i) => (
                  <Link key={id} href={traceHref(id)} data-testid="failed-trace-link" aria-label={`Failed trace ${i + 1}: ${id}`}>
                    trace {id.slice(0, 6)}…{id.slice(-4)}
                  </Link>
                ))}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
      {causes.data && causes.data.causes.length === 0 ? (
        <p className="muted" data-testid="no-failed-traces">
          No failed request was traced in this window{thresholdReasons.length > 0 ? ": the numbers above are from the metrics." : "."}
        </p>
      ) : null}
      <Link href={failedHref}>All failed traces of {destination.namespace}/{destination.service}</Link>
    </section>
  );
}
