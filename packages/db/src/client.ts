import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client.ts";

export interface PrismaClientOptions {
  /** A validated postgresql:// URL. */
  url: string;
  /** Pool size. The embedded database is single-session: use 1 there. */
  maxConnections?: number;
}

/** A Prisma client on the `@prisma/adapter-pg` driver adapter (no native query engine). */
export function createPrismaClient({ url, maxConnections = 10 }: PrismaClientOptions): PrismaClient {
  const adapter = new PrismaPg({ connectionString: url, max: maxConnections, connectionTimeoutMillis: 5_000 });
  return new PrismaClient({ adapter });
}
