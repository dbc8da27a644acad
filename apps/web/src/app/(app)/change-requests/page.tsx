import type { Metadata } from "next";
import { Suspense } from "react";
import { ChangeRequestsPage } from "../../../features/change-requests/change-requests-page.tsx";

export const metadata: Metadata = { title: "Change requests" };

export default function Page() {
  return (
    <Suspense fallback={null}>
      <ChangeRequestsPage />
    </Suspense>
  );
}
