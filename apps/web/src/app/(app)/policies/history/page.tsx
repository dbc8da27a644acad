import type { Metadata } from "next";
import { Suspense } from "react";
import { ResourceHistoryPage } from "../../../../features/policy-editor/resource-history-page.tsx";

export const metadata: Metadata = { title: "Resource history" };

export default function Page() {
  return (
    <Suspense fallback={null}>
      <ResourceHistoryPage />
    </Suspense>
  );
}
