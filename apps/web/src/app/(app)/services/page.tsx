import type { Metadata } from "next";
import { Suspense } from "react";
import { ServicesPage } from "../../../features/services/services-page.tsx";

export const metadata: Metadata = { title: "Services" };

export default function Page() {
  return (
    <Suspense fallback={null}>
      <ServicesPage />
    </Suspense>
  );
}
