import { roleProcedure, router } from "../../trpc.ts";

export const meshRouter = router({
  /** The mesh: trust domain, mTLS mode and the current config version. */
  status: roleProcedure("VIEWER").query(({ ctx }) => ctx.services.mesh.status()),
});
