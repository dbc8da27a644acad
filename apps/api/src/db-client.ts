import type { Prisma, PrismaClient } from "@weft/db";

/** A Prisma client, or the client of an open transaction: what repositories are built on. */
export type DbClient = PrismaClient | Prisma.TransactionClient;
