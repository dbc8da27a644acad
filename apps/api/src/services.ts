import type { Database } from "@weft/db";
import { AuditRepository } from "./features/audit/audit.repository.ts";
import { AuditService } from "./features/audit/audit.service.ts";
import { AuthRepository } from "./features/auth/auth.repository.ts";
import { AuthService, type AuthSettings } from "./features/auth/auth.service.ts";
import { DEFAULT_LOGIN_POLICY } from "./features/auth/login-limiter.ts";
import { OidcRepository } from "./features/auth/oidc.repository.ts";
import { OidcService, type OidcSettings } from "./features/auth/oidc.service.ts";
import { PRODUCTION_SCRYPT_COST } from "./features/auth/password-hash.ts";
import { ChangeRequestsRepository } from "./features/change-requests/change-requests.repository.ts";
import { ChangeRequestsService } from "./features/change-requests/change-requests.service.ts";
import { MeshRepository } from "./features/mesh/mesh.repository.ts";
import { MeshService } from "./features/mesh/mesh.service.ts";
import { ResourcesRepository } from "./features/resources/resources.repository.ts";
import { ResourcesService } from "./features/resources/resources.service.ts";
import { TokensRepository } from "./features/tokens/tokens.repository.ts";
import { TokensService } from "./features/tokens/tokens.service.ts";
import { UsersRepository } from "./features/users/users.repository.ts";
import { UsersService } from "./features/users/users.service.ts";
import type { Logger } from "./logger.ts";
import { UnitOfWork } from "./unit-of-work.ts";

/** Settings of the manager's services that are not plain environment (tests lower the password cost). */
export interface ServiceSettings {
  auth: AuthSettings;
  /** OIDC sign-in; absent when not configured. */
  oidc?: OidcSettings;
}

export const DEFAULT_SERVICE_SETTINGS: ServiceSettings = {
  auth: { passwordCost: PRODUCTION_SCRYPT_COST, sessionTtlMs: 12 * 3600_000, secureCookies: "auto", loginPolicy: DEFAULT_LOGIN_POLICY },
};

export interface Services {
  audit: AuditService;
  auth: AuthService;
  /** Null when OIDC is not configured. */
  oidc: OidcService | null;
  users: UsersService;
  tokens: TokensService;
  mesh: MeshService;
  resources: ResourcesService;
  changeRequests: ChangeRequestsService;
  /** Needed by the first-start bootstrap. */
  usersRepository: UsersRepository;
}

/** Wires repositories and services over one database. */
export function createServices(db: Database, log: Logger, settings: ServiceSettings = DEFAULT_SERVICE_SETTINGS): Services {
  const prisma = db.prisma;
  const uow = new UnitOfWork(prisma);
  const usersRepository = new UsersRepository(prisma);
  const audit = new AuditService(new AuditRepository(prisma), log);
  const auth = new AuthService(new AuthRepository(prisma), usersRepository, audit, settings.auth);
  const meshRepository = new MeshRepository(prisma);
  const mesh = new MeshService(meshRepository);
  const currentMesh = async () => {
    const found = await mesh.get();
    if (!found) throw new Error("the default mesh is missing; the manager creates it at start");
    return found;
  };
  const resources = new ResourcesService(uow, new ResourcesRepository(prisma), currentMesh);
  return {
    audit,
    auth,
    oidc: settings.oidc ? new OidcService(settings.oidc, new OidcRepository(prisma), usersRepository, auth, audit, log) : null,
    users: new UsersService(usersRepository, (p) => auth.hashPassword(p)),
    tokens: new TokensService(new TokensRepository(prisma)),
    mesh,
    resources,
    changeRequests: new ChangeRequestsService(uow, new ChangeRequestsRepository(prisma), resources),
    usersRepository,
  };
}
