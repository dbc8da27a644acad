import { TRPCError } from "@trpc/server";
import { roleProcedure, router } from "../../trpc.ts";

export const meshRouter = router({
  /** The mesh: trust domain, mTLS mode and the current config version. */
  status: roleProcedure("VIEWER").query(async ({ ctx }) => {
    const mesh = await ctx.services.mesh.get();
    if (!mesh) throw new TRPCError({ code: "NOT_FOUND", message: "the mesh has not been initialised" });
    return mesh;
  }),
});
