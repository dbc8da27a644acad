import type { Metadata } from "next";
import { Suspense } from "react";
import { ClustersPage } from "../../../features/clusters/clusters-page.tsx";

export const metadata: Metadata = { title: "Clusters" };

export default function Page() {
  return (
    <Suspense fallback={null}>
      <ClustersPage />
    </Suspense>
  );
}
