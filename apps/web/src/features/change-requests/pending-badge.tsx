"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "../../trpc/context.ts";

/** For admins in the header: how many change requests wait for a decision, linking to them; nothing when none. */
export function PendingRequestsBadge() {
  const trpc = useTRPC();
  const pending = useQuery(trpc.changeRequests.list.queryOptions({ status: "PENDING", limit: 500 }, { refetchInterval: 30_000 }));
  const count = pending.data?.length ?? 0;
  if (count === 0) return null;
  return (
    <Link href="/change-requests" className="badge" data-tone="warning" data-testid="pending-requests" aria-label={`${count} change request${count === 1 ? "" : "s"} waiting for approval`}>
      {count} pending
    </Link>
  );
}
