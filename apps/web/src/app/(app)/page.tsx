import type { Metadata } from "next";
import { OverviewPage } from "../../features/overview/overview-page.tsx";

// The layout's title template covers nested routes only, not its own segment.
export const metadata: Metadata = { title: { absolute: "Overview · Weft" } };

export default function Overview() {
  return <OverviewPage />;
}
