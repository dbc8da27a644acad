"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useTRPC } from "../../trpc/context.ts";
import { useViewFilters } from "../shell/use-view-filters.ts";
import { hrefWithFilters } from "../shell/view-filters.ts";
import { DataTable } from "../ui/data-table.tsx";
import { formatDateTime } from "../ui/format.ts";
import { Empty, Panel, QueryState } from "../ui/states.tsx";
import { commonName, expiryWarnings, formatRemaining } from "./certificate-view.ts";

/** Certificates looked at for the overview's count: the soonest to expire (warnings are among them). */
const OVERVIEW_LIMIT = 1_000;

/** For the overview: how many certificates carry an expiry warning, and the soonest ones, with a link to the page. */
export function ExpiryWarningsPanel({ refetchInterval }: { refetchInterval: number }) {
  const trpc = useTRPC();
  const params = useSearchParams();
  const { filters } = useViewFilters();
  const query = useQuery(trpc.identity.certificates.queryOptions({ limit: OVERVIEW_LIMIT, ...(filters.cluster ? { cluster: filters.cluster } : {}) }, { refetchInterval }));
  return (
    <Panel title="Certificate expiry warnings" id="expiry-warnings-heading" actions={<Link href={hrefWithFilters("/certificates", params, { expiring: "1" })}>All certificates</Link>}>
      <QueryState query={query} what="certificates">
        {(data) => {
          const { count, soonest } = expiryWarnings(data.items);
          const more = data.total > data.items.length && count === data.items.length;
          if (count === 0) return <Empty title="No certificate is close to expiry">{data.total} certificate{data.total === 1 ? "" : "s"} renewing on schedule.</Empty>;
          return (
            <div className="stack" data-testid="expiry-warnings">
              <p className="notice notice-warning">
                <strong data-testid="expiry-warning-count">
                  {count}
                  {more ? "+" : ""}
                </strong>{" "}
                certificate{count === 1 ? "" : "s"} past the renewal point: check the agents of {[...new Set(soonest.map((c) => c.cluster))].join(", ")}.
              </p>
              <DataTable columns={["Identity", "Cluster", "Expires"]} testId="expiry-warnings-soonest">
                {soonest.map((c) => (
                  <tr key={`${c.kind}/${c.cluster}/${c.serial}`}>
                    <td>{c.spiffeId ?? `intermediate ${commonName(c.subject)}`}</td>
                    <td>{c.cluster}</td>
                    <td title={formatDateTime(c.notAfter)}>{formatRemaining(c.remainingHours)}</td>
                  </tr>
                ))}
              </DataTable>
            </div>
          );
        }}
      </QueryState>
    </Panel>
  );
}
