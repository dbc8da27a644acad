import { z } from "zod";
import { authedProcedure, principalOf, publicProcedure, router } from "../../trpc.ts";

export const LoginInputSchema = z.strictObject({
  username: z.string().min(1).max(128).describe("Username."),
  password: z.string().min(1).max(1024).describe("Password."),
});

export const PasswordSchema = z.string().min(12, "must be at least 12 characters").max(1024).describe("A password of at least 12 characters.");

export const authRouter = router({
  /** Signs in with a local account: sets an httpOnly session cookie and a CSRF cookie. */
  login: publicProcedure
    .meta({ audit: "manual" })
    .input(LoginInputSchema)
    .mutation(({ ctx, input }) => ctx.services.auth.login(input.username, input.password, ctx.request)),
  /** Ends the current browser session. */
  logout: authedProcedure.mutation(async ({ ctx }) => {
    await ctx.services.auth.logout(await principalOf(ctx), ctx.request);
    return { ok: true as const };
  }),
  /** How users can sign in: always with a password; with OIDC when configured (a browser navigates to `oidcLoginUrl`). */
  methods: publicProcedure.query(({ ctx }) => ({ password: true as const, oidcLoginUrl: ctx.services.oidc ? "/auth/oidc/login" : null })),
  /** Who is signed in; null when nobody is. */
  me: publicProcedure.query(async ({ ctx }) => {
    const auth = await ctx.authenticate();
    return auth ? ctx.services.auth.me(auth) : null;
  }),
  /** Changes the caller's own password; ends all of the account's sessions, and with `revokeTokens` its API tokens too. */
  changePassword: authedProcedure
    .input(
      z.strictObject({
        currentPassword: z.string().min(1).max(1024),
        newPassword: PasswordSchema,
        revokeTokens: z.boolean().default(false).describe("Also revoke every API token of the account (e.g. after a suspected leak)."),
      }),
    )
    .mutation(async ({ ctx, input }) => ({ ok: true as const, ...(await ctx.services.auth.changePassword(await principalOf(ctx), input.currentPassword, input.newPassword, { revokeTokens: input.revokeTokens })) })),
});
