"use client";

import { useQuery } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { useTRPC } from "../../trpc/context.ts";
import { useSession } from "../shell/session.tsx";
import { useViewFilters } from "../shell/use-view-filters.ts";
import { ErrorState, Loading, Panel, QueryState } from "../ui/states.tsx";
import { CaHierarchy } from "./ca-hierarchy.tsx";
import { CertificateInventory } from "./certificate-inventory.tsx";
import { clusterNames } from "./certificate-view.ts";
import { ExpiryTimeline } from "./expiry-timeline.tsx";
import { isOpen } from "./rotation-view.ts";
import { RotationHistory, RotationPanel } from "./rotation-panel.tsx";
import { TrustBundleSummary } from "./trust-bundle-summary.tsx";

/** While a rotation runs the page follows it closely; otherwise it refreshes now and then. */
export const LIVE_ROTATION_REFRESH_MS = 3_000;
export const IDLE_REFRESH_MS = 30_000;

/** How many certificates the hierarchy counts and the timeline buckets (the soonest ones). */
const TIMELINE_LIMIT = 5_000;

/**
 * The mesh's identity: the CA hierarchy, certificates by time to expiry, the
 * inventory, the trust bundle, and the root rotation workflow (actions for admins).
 */
export function CertificatesPage() {
  const trpc = useTRPC();
  const session = useSession();
  const params = useSearchParams();
  const { filters } = useViewFilters();
  const rotation = useQuery(
    trpc.identity.rotation.get.queryOptions(
      {},
      { refetchInterval: (q) => (q.state.data && isOpen(q.state.data) ? LIVE_ROTATION_REFRESH_MS : IDLE_REFRESH_MS) },
    ),
  );
  const live = Boolean(rotation.data && isOpen(rotation.data));
  const refetchInterval = live ? LIVE_ROTATION_REFRESH_MS : IDLE_REFRESH_MS;
  const authorities = useQuery(trpc.identity.authorities.queryOptions(undefined, { refetchInterval }));
  const certificates = useQuery(trpc.identity.certificates.queryOptions({ limit: TIMELINE_LIMIT }, { refetchInterval, placeholderData: (p) => p }));
  const bundle = useQuery(trpc.identity.trustBundle.queryOptions(undefined, { refetchInterval }));
  const history = useQuery(trpc.identity.rotation.list.queryOptions(undefined, { refetchInterval }));

  if (authorities.isPending) return <Loading what="the CA hierarchy" />;
  if (authorities.isError) return <ErrorState error={authorities.error} title="Could not load the mesh's certificate authorities" onRetry={() => void authorities.refetch()} />;
  const ca = authorities.data;
  const certItems = certificates.data?.items ?? [];

  return (
    <>
      <div className="page-header">
        <h1>Certificates</h1>
        {live ? (
          <span className="badge" data-tone="info" role="status">
            {rotation.data?.paused ? "Rotation paused" : "Rotation in progress"} · refreshing every {LIVE_ROTATION_REFRESH_MS / 1000} s
          </span>
        ) : null}
      </div>
      {!ca.caKeyConfigured ? <p className="notice notice-warning">The manager has no CA key (WEFT_CA_KEY): it cannot sign intermediates, and agents cannot renew their certificates.</p> : null}

      <Panel title="Root rotation" id="rotation-heading">
        <QueryState query={rotation} what="the root rotation" isEmpty={() => false}>
          {(r) => <RotationPanel rotation={r} canAct={session.isAdmin} caKeyConfigured={ca.caKeyConfigured} hasAuthority={ca.authorities.some((a) => a.state === "ACTIVE")} />}
        </QueryState>
      </Panel>

      <div className="grid-2">
        <Panel title="CA hierarchy" id="hierarchy-heading">
          <QueryState query={certificates} what="certificates">
            {() => <CaHierarchy authorities={ca} certificates={certItems} />}
          </QueryState>
        </Panel>
        <Panel title="Trust bundle" id="bundle-heading">
          <QueryState query={bundle} what="the trust bundle" isEmpty={() => false}>
            {(b) => <TrustBundleSummary bundle={b} authorities={ca} rotation={rotation.data ?? null} />}
          </QueryState>
        </Panel>
      </div>

      <Panel title="Expiry timeline" id="timeline-heading">
        <QueryState query={certificates} what="certificates">
          {(data) => (
            <>
              <ExpiryTimeline certificates={data.items} />
              <p className="muted">
                Time left until each certificate expires; the highlighted part of a bar carries an expiry warning (renewal is overdue).
                {data.total > data.items.length ? ` Counts the soonest ${data.items.length} of ${data.total}.` : ""}
              </p>
            </>
          )}
        </QueryState>
      </Panel>

      <Panel title="Inventory" id="inventory-heading">
        <CertificateInventory clusters={clusterNames(ca.clusters, certItems)} initialCluster={filters.cluster} initialExpiring={params.get("expiring") === "1"} refetchInterval={refetchInterval} />
      </Panel>

      <Panel title="Rotation history" id="rotation-history-heading">
        <QueryState query={history} what="rotations" isEmpty={(d) => d.length === 0}>
          {(list) => <RotationHistory rotations={list} />}
        </QueryState>
      </Panel>
    </>
  );
}
