import type { Metadata } from "next";
import { Suspense } from "react";
import { SloPage } from "../../../../features/slo/slo-page.tsx";

export const metadata: Metadata = { title: "SLO" };

export default function Page() {
  return (
    <Suspense fallback={null}>
      <SloPage />
    </Suspense>
  );
}
