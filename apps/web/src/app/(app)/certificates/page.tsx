import type { Metadata } from "next";
import { Suspense } from "react";
import { CertificatesPage } from "../../../features/certificates/certificates-page.tsx";

export const metadata: Metadata = { title: "Certificates" };

export default function Page() {
  return (
    <Suspense fallback={null}>
      <CertificatesPage />
    </Suspense>
  );
}
