import type { Metadata } from "next";
import { Suspense } from "react";
import { ServicePage } from "../../../../features/services/service-page.tsx";

export const metadata: Metadata = { title: "Service" };

export default function Page() {
  return (
    <Suspense fallback={null}>
      <ServicePage />
    </Suspense>
  );
}
