import type { Metadata } from "next";
import { Suspense } from "react";
import { TopologyReplayPage } from "../../../../features/topology/topology-replay-page.tsx";

export const metadata: Metadata = { title: "Topology replay" };

export default function Page() {
  return (
    <Suspense fallback={null}>
      <TopologyReplayPage />
    </Suspense>
  );
}
