import { NotificationChannelInputSchema } from "@weft/mesh-model";
import { z } from "zod";
import { audited, noteAudit, principalOf, roleProcedure, router } from "../../trpc.ts";

/** Channels hold credentials: only admins see or change them, and secrets are never returned (only whether they are set). */
export const channelsRouter = router({
  list: roleProcedure("ADMIN").query(({ ctx }) => ctx.services.notifications.listChannels()),
  /** Creates a channel; a webhook created without a secret gets one, shown in this answer only. */
  create: roleProcedure("ADMIN")
    .input(NotificationChannelInputSchema)
    .mutation(async ({ ctx, input }) => {
      noteAudit(ctx, { target: `NotificationChannel/${input.name}` });
      return audited(ctx, ctx.services.notifications.createChannel(await principalOf(ctx), input));
    }),
  update: roleProcedure("ADMIN")
    .input(z.strictObject({ id: z.uuid(), channel: NotificationChannelInputSchema }))
    .mutation(async ({ ctx, input }) => audited(ctx, ctx.services.notifications.updateChannel(input.id, input.channel))),
  delete: roleProcedure("ADMIN")
    .input(z.strictObject({ id: z.uuid() }))
    .mutation(async ({ ctx, input }) => audited(ctx, ctx.services.notifications.deleteChannel(input.id))),
  /** Queues a test notification to the channel; its delivery shows in the log. */
  sendTest: roleProcedure("ADMIN")
    .input(z.strictObject({ id: z.uuid() }))
    .mutation(async ({ ctx, input }) => audited(ctx, ctx.services.notifications.sendTest(await principalOf(ctx), input.id, ctx.services.dashboardUrl))),
  /** The delivery log: every attempt of every delivery, newest first. */
  deliveries: roleProcedure("ADMIN")
    .input(z.strictObject({ channelId: z.uuid().optional(), status: z.enum(["PENDING", "DELIVERED", "DEAD"]).optional(), limit: z.number().int().min(1).max(500).default(100) }).default({ limit: 100 }))
    .query(({ ctx, input }) => ctx.services.notifications.deliveries(input)),
  /** Sends a dead-lettered delivery again. */
  resend: roleProcedure("ADMIN")
    .input(z.strictObject({ id: z.uuid() }))
    .mutation(async ({ ctx, input }) => audited(ctx, ctx.services.notifications.resend(input.id))),
});
