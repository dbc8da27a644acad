import type { ManagerClient } from "../client.ts";
import { outputOf, UsageError, type RegisterCommand } from "../context.ts";
import { formatHoursLeft } from "../output/format-numbers.ts";
import { renderList, type Column } from "../output/render.ts";

type CertificateItem = Awaited<ReturnType<ManagerClient["identity"]["certificates"]["query"]>>["items"][number];

const COLUMNS: Column<CertificateItem>[] = [
  { header: "CLUSTER", value: (c) => c.cluster },
  { header: "KIND", value: (c) => c.kind },
  { header: "IDENTITY", value: (c) => c.spiffeId ?? c.subject },
  { header: "EXPIRES", value: (c) => c.notAfter.toISOString() },
  { header: "LEFT", value: (c) => formatHoursLeft(c.remainingHours) },
  { header: "STATUS", value: (c) => (c.revoked ? "revoked" : c.remainingHours <= 0 ? "expired" : c.expiryWarning ? "renewal overdue" : "ok") },
  { header: "SERIAL", value: (c) => c.serial, wide: true },
  { header: "ROOT", value: (c) => c.rootFingerprint.slice(0, 16), wide: true },
];

/** `weft certs`: workload certificates and cluster intermediates, soonest expiry first. */
export const registerCerts: RegisterCommand = (program, ctx) => {
  program
    .command("certs")
    .description("workload certificates and cluster intermediates, soonest expiry first, with renewal warnings")
    .option("--cluster <name>", "only this cluster's certificates")
    .option("--expiring-within <hours>", "only certificates expiring within this many hours (expired ones included)")
    .action(
      ctx.action(async (opts, cmd) => {
        const within = opts.expiringWithin === undefined ? undefined : Number(opts.expiringWithin);
        if (within !== undefined && !(within > 0)) throw new UsageError(`--expiring-within must be a number of hours, not "${opts.expiringWithin}"`);
        const view = await (await ctx.connect()).identity.certificates.query({ ...(opts.cluster && { cluster: opts.cluster }), ...(within !== undefined && { expiringWithinHours: within }) });
        const format = outputOf(cmd) ?? "table";
        ctx.io.stdout(renderList(format, view.items, COLUMNS, { empty: "no certificates", document: view }));
        if ((format === "table" || format === "wide") && view.total > view.items.length) ctx.io.stdout(`(${view.items.length} of ${view.total} shown)\n`);
        return 0;
      }),
    );
};
