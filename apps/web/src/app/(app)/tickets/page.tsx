import type { Metadata } from "next";
import { Suspense } from "react";
import { TicketsPage } from "../../../features/tickets/tickets-page.tsx";

export const metadata: Metadata = { title: "Tickets" };

export default function Page() {
  return (
    <Suspense fallback={null}>
      <TicketsPage />
    </Suspense>
  );
}
