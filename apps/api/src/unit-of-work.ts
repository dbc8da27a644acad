import type { PrismaClient } from "@weft/db";
import { ChangeRequestsRepository } from "./features/change-requests/change-requests.repository.ts";
import { MeshRepository } from "./features/mesh/mesh.repository.ts";
import { ResourcesRepository } from "./features/resources/resources.repository.ts";

/** The repositories a change uses, all bound to one transaction. */
export interface TransactionRepositories {
  mesh: MeshRepository;
  resources: ResourcesRepository;
  changeRequests: ChangeRequestsRepository;
}

/**
 * Runs work in one database transaction: a change, its revisions, the config
 * version bump and any change-request update commit together or not at all.
 */
export class UnitOfWork {
  constructor(private readonly prisma: PrismaClient) {}

  run<T>(work: (repos: TransactionRepositories) => Promise<T>): Promise<T> {
    return this.prisma.$transaction((tx) => work({ mesh: new MeshRepository(tx), resources: new ResourcesRepository(tx), changeRequests: new ChangeRequestsRepository(tx) }), {
      maxWait: 30_000,
      timeout: 120_000,
    });
  }
}
