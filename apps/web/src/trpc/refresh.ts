import type { InvalidateQueryFilters, QueryClient } from "@tanstack/react-query";

/**
 * Shows the data as it is after a change the user just made: cancels what is
 * still being fetched, then invalidates (refetching what is on screen).
 *
 * Plain `invalidateQueries` is not enough. It cancels a running *refetch*, but
 * it joins a query's *first* fetch (TanStack/query#8530): a list that was still
 * loading when the change was saved — its answer possibly read before the change
 * and held up by a slower call in the same batch — kept that answer, and nothing
 * refetched it. Seen in the dashboard: a namespace protected right after the
 * page opened stayed "No namespace is protected" although the manager held it.
 * Use this after every mutation instead of `invalidateQueries`.
 */
export async function refreshAfterChange(queryClient: QueryClient, filters?: InvalidateQueryFilters): Promise<void> {
  await queryClient.cancelQueries(filters);
  await queryClient.invalidateQueries(filters);
}
