import type { Metadata } from "next";
import { Suspense } from "react";
import { TopologyPage } from "../../../features/topology/topology-page.tsx";

export const metadata: Metadata = { title: "Topology" };

export default function Page() {
  return (
    <Suspense fallback={null}>
      <TopologyPage />
    </Suspense>
  );
}
