import type { Metadata } from "next";
import { Suspense } from "react";
import { SlosPage } from "../../../features/slo/slos-page.tsx";

export const metadata: Metadata = { title: "SLOs" };

export default function Page() {
  return (
    <Suspense fallback={null}>
      <SlosPage />
    </Suspense>
  );
}
