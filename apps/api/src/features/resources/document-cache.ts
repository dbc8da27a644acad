import type { Resource } from "@weft/mesh-model";

/** Which resources a list covers (its filter), for dropping cached documents no longer live. */
export interface ListScope {
  kind?: string | undefined;
  namespace?: string | undefined;
}

interface Entry {
  revision: number;
  kind: string;
  namespace: string;
  document: Resource;
}

/** What a repository asks of a document cache (the shared one, or one transaction's view of it). */
export interface HeldDocuments {
  /** The validated document of exactly this revision, when already read. */
  held(id: string, revision: number): Resource | undefined;
  /** A validated document just read for (id, revision), whose head is live. */
  remember(id: string, entry: Entry): void;
  /** Drops the documents in `scope` whose resource is not among `live` (deleted, or gone). */
  retain(scope: ListScope, live: ReadonlySet<string>): void;
}

/**
 * Validated latest documents of live resources, by resource id, kept across
 * transactions so a write among thousands of resources reads and validates
 * only the documents of revisions this replica has not seen yet. Revisions
 * are append-only: the document of (id, revision) never changes, so an entry
 * is right for as long as the resource's head is at that revision; another
 * replica's write moves the head, and the new revision is read. Bounded by
 * the live set: lists drop what they no longer see live.
 *
 * Documents are shared by every reader of this replica, so they are frozen:
 * a caller that modified one would change what the next write plans against.
 */
export class DocumentCache implements HeldDocuments {
  private readonly byId = new Map<string, Entry>();

  get size(): number {
    return this.byId.size;
  }

  held(id: string, revision: number): Resource | undefined {
    const entry = this.byId.get(id);
    return entry?.revision === revision ? entry.document : undefined;
  }

  remember(id: string, entry: Entry): void {
    // Two readers may race: the newer revision wins (a head never moves back).
    const current = this.byId.get(id);
    if (current && current.revision > entry.revision) return;
    this.byId.set(id, { ...entry, document: deepFreeze(entry.document) });
  }

  retain(scope: ListScope, live: ReadonlySet<string>): void {
    for (const [id, entry] of this.byId) if (inScope(entry, scope) && !live.has(id)) this.byId.delete(id);
  }

  /**
   * A view for one transaction. A transaction can read its own uncommitted
   * revisions; were they shared and the transaction rolled back, another write
   * could store a different document under the same revision number. So what
   * a transaction reads is kept aside and shared only once it commits.
   */
  transaction(): TransactionDocuments {
    return new TransactionDocuments(this);
  }
}

/** One transaction's view of the shared cache: reads through it, keeps its own reads until `commit`. */
export class TransactionDocuments implements HeldDocuments {
  private readonly read = new Map<string, Entry>();

  constructor(private readonly shared: DocumentCache) {}

  held(id: string, revision: number): Resource | undefined {
    const own = this.read.get(id);
    return own?.revision === revision ? own.document : this.shared.held(id, revision);
  }

  remember(id: string, entry: Entry): void {
    this.read.set(id, { ...entry, document: deepFreeze(entry.document) });
  }

  retain(scope: ListScope, live: ReadonlySet<string>): void {
    // Dropping is always safe (the next read re-reads), so it goes to the shared cache at once.
    this.shared.retain(scope, live);
    for (const [id, entry] of this.read) if (inScope(entry, scope) && !live.has(id)) this.read.delete(id);
  }

  /** The transaction committed: what it read is the database's state. */
  commit(): void {
    for (const [id, entry] of this.read) this.shared.remember(id, entry);
    this.read.clear();
  }
}

function inScope(entry: Entry, scope: ListScope): boolean {
  return (scope.kind === undefined || scope.kind === "" || entry.kind === scope.kind) && (scope.namespace === undefined || entry.namespace === scope.namespace);
}

function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== "object" || Object.isFrozen(value)) return value;
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}
