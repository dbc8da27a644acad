import type { Metadata } from "next";
import { HealthOverview } from "../features/health/health-overview.tsx";

// The layout's title template covers nested routes only, not its own segment.
export const metadata: Metadata = { title: { absolute: "Overview · Weft" } };

export default function OverviewPage() {
  return (
    <>
      <h1>Overview</h1>
      <HealthOverview />
    </>
  );
}
