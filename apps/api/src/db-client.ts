import type { Prisma, PrismaClient } from "@weft/db";

/** A Prisma client, or the client of an open transaction: what repositories are built on. */
export type DbClient = PrismaClient | Prisma.TransactionClient;

/**
 * True when a stored (Prisma) enum and the domain type a repository maps it
 * to name the same values: `const _same: SameValues<PrismaRole, Role> = true`
 * in the repository stops the typecheck when the schema and the domain drift.
 */
export type SameValues<Stored extends string, Domain extends string> = [Stored] extends [Domain] ? ([Domain] extends [Stored] ? true : false) : false;
