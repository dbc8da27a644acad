import type { Metadata } from "next";
import { Suspense } from "react";
import { AuditPage } from "../../../features/audit/audit-page.tsx";

export const metadata: Metadata = { title: "Audit log" };

export default function Page() {
  return (
    <Suspense fallback={null}>
      <AuditPage />
    </Suspense>
  );
}
