import type { Metadata } from "next";
import { Suspense } from "react";
import { TicketPage } from "../../../../features/tickets/ticket-page.tsx";

export const metadata: Metadata = { title: "Ticket" };

export default function Page() {
  return (
    <Suspense fallback={null}>
      <TicketPage />
    </Suspense>
  );
}
