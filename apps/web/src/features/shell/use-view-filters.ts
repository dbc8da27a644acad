"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback, useMemo, useState, useEffect } from "react";
import { parseFilters, timeWindow, writeFilters, type TimeWindow, type ViewFilters } from "./view-filters.ts";

/** The URL's filters, and a setter that writes them back (replace: filter changes are not history steps). */
export function useViewFilters(): { filters: ViewFilters; setFilters: (patch: Partial<ViewFilters>) => void } {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const filters = useMemo(() => parseFilters(params), [params]);
  const setFilters = useCallback(
    (patch: Partial<ViewFilters>) => {
      const next = writeFilters(new URLSearchParams(params.toString()), { ...filters, ...patch });
      const query = next.toString();
      router.replace(query ? `${pathname}?${query}` : pathname, { scroll: false });
    },
    [filters, params, pathname, router],
  );
  return { filters, setFilters };
}

/**
 * The query window for the filters. Relative ranges move forward once a
 * minute (the `tick`), so live pages look at "now" without refetching keys every render.
 */
export function useTimeWindow(filters: ViewFilters, tickMs = 30_000): TimeWindow {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (filters.range === "custom") return;
    const id = setInterval(() => setNow(Date.now()), tickMs);
    return () => clearInterval(id);
  }, [filters.range, tickMs]);
  return useMemo(() => timeWindow(filters, now), [filters, now]);
}
