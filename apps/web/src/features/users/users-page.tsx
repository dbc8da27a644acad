"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Fragment, useState, type FormEvent } from "react";
import { toApiFailure } from "../../trpc/api-errors.ts";
import { useTRPC } from "../../trpc/context.ts";
import { refreshAfterChange } from "../../trpc/refresh.ts";
import type { RouterOutputs } from "../../trpc/types.ts";
import type { Role } from "../shell/permissions.ts";
import { ConfirmDialog } from "../certificates/confirm-dialog.tsx";
import { useSession } from "../shell/session.tsx";
import { CopyButton } from "../ui/copy-button.tsx";
import { DataTable, DetailRow } from "../ui/data-table.tsx";
import { formatDateTime, formatRelative } from "../ui/format.ts";
import { Empty, Panel, QueryState } from "../ui/states.tsx";
import { bindingText, roleChangeWarnings, type BindingLike } from "./role-summary.ts";

const ROLES: Role[] = ["VIEWER", "OPERATOR", "ADMIN"];
type UserRow = RouterOutputs["users"]["list"][number];

function MutationError({ error }: { error: unknown }) {
  if (!error) return null;
  const f = toApiFailure(error);
  return (
    <p role="alert" className="field-error">
      {f.fieldErrors.length ? f.fieldErrors.map((e) => `${e.path}: ${e.message}`).join("; ") : f.message}
    </p>
  );
}

function CreateUser() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [form, setForm] = useState({ username: "", password: "", role: "VIEWER" as Role, displayName: "" });
  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: async () => {
        setForm({ username: "", password: "", role: "VIEWER", displayName: "" });
        await refreshAfterChange(queryClient, { queryKey: trpc.users.pathKey() });
      },
    }),
  );
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ username: form.username, password: form.password, role: form.role, ...(form.displayName ? { displayName: form.displayName } : {}) });
  };
  return (
    <form className="toolbar" onSubmit={onSubmit} aria-label="Create a user">
      <label>
        Username
        <input required value={form.username} onChange={(e) => setForm({ ...form, username: e.target.value })} autoComplete="off" />
      </label>
      <label>
        Display name
        <input value={form.displayName} onChange={(e) => setForm({ ...form, displayName: e.target.value })} />
      </label>
      <label>
        Initial password (12+ characters)
        <input required type="password" minLength={12} value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} autoComplete="new-password" />
      </label>
      <label>
        Role
        <select value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
          {ROLES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </label>
      <button type="submit" className="btn btn-primary" disabled={create.isPending}>
        Create user
      </button>
      <MutationError error={create.error} />
    </form>
  );
}

function UserDetails({ user }: { user: UserRow }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => refreshAfterChange(queryClient, { queryKey: trpc.users.pathKey() });
  const [binding, setBinding] = useState({ role: "OPERATOR" as Role, namespace: "" });
  const [password, setPassword] = useState("");
  const addBinding = useMutation(trpc.users.addRoleBinding.mutationOptions({ onSuccess: refresh }));
  const removeBinding = useMutation(trpc.users.removeRoleBinding.mutationOptions({ onSuccess: refresh }));
  const reset = useMutation(trpc.users.resetPassword.mutationOptions({ onSuccess: () => setPassword("") }));
  return (
    <div className="stack">
      <h3>Role bindings of {user.username}</h3>
      {user.bindings.length === 0 ? (
        <p className="muted">None: the mesh-wide role applies everywhere.</p>
      ) : (
        <ul>
          {user.bindings.map((b) => (
            <li key={b.id}>
              {b.role} in {b.namespace ? `namespace ${b.namespace}` : `cluster ${b.cluster}`}{" "}
              <button type="button" className="btn btn-small" onClick={() => removeBinding.mutate({ userId: user.id, bindingId: b.id })} aria-label={`Remove ${b.role} binding in ${b.namespace ?? b.cluster}`}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        className="toolbar"
        aria-label={`Add a role binding for ${user.username}`}
        onSubmit={(e) => {
          e.preventDefault();
          addBinding.mutate({ userId: user.id, role: binding.role, namespace: binding.namespace });
        }}
      >
        <label>
          Role
          <select value={binding.role} onChange={(e) => setBinding({ ...binding, role: e.target.value as Role })}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <label>
          In namespace
          <input required value={binding.namespace} onChange={(e) => setBinding({ ...binding, namespace: e.target.value })} />
        </label>
        <button type="submit" className="btn">
          Add binding
        </button>
      </form>
      <MutationError error={addBinding.error ?? removeBinding.error} />
      <form
        className="toolbar"
        aria-label={`Reset the password of ${user.username}`}
        onSubmit={(e) => {
          e.preventDefault();
          reset.mutate({ id: user.id, password });
        }}
      >
        <label>
          New password
          <input type="password" required minLength={12} value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" />
        </label>
        <button type="submit" className="btn">
          Reset password
        </button>
        {reset.isSuccess ? <span role="status">Password reset; the user&apos;s sessions ended.</span> : null}
      </form>
      <MutationError error={reset.error} />
    </div>
  );
}

function UsersAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const session = useSession();
  const query = useQuery(trpc.users.list.queryOptions());
  const [open, setOpen] = useState<string | null>(null);
  const update = useMutation(trpc.users.update.mutationOptions({ onSuccess: () => refreshAfterChange(queryClient, { queryKey: trpc.users.pathKey() }) }));
  // A role change is asked before it is made: it takes effect on the user's next request.
  const [roleChange, setRoleChange] = useState<{ id: string; username: string; from: Role; to: Role; bindings: BindingLike[] } | null>(null);
  return (
    <Panel title="Users" id="users-heading">
      <ConfirmDialog
        open={roleChange !== null}
        title={roleChange ? `Change ${roleChange.username}'s role from ${roleChange.from.toLowerCase()} to ${roleChange.to.toLowerCase()}?` : ""}
        confirmLabel="Change role"
        busy={update.isPending}
        onCancel={() => setRoleChange(null)}
        onConfirm={() => {
          if (roleChange) update.mutate({ id: roleChange.id, role: roleChange.to }, { onSettled: () => setRoleChange(null) });
        }}
      >
        <div data-testid="role-change-confirm">
          <p>The new mesh-wide role applies from {roleChange?.username}&apos;s next request.</p>
          {roleChange
            ? roleChangeWarnings(roleChange.username, roleChange.to, roleChange.bindings).map((w) => (
                <p key={w} className="notice notice-warning">
                  {w}
                </p>
              ))
            : null}
        </div>
      </ConfirmDialog>
      <CreateUser />
      <MutationError error={update.error} />
      <QueryState query={query} what="users" isEmpty={(d) => d.length === 0}>
        {(users) => (
          <DataTable columns={["User", "Role", "Role bindings", "Status", "Last sign-in", { label: "Actions", hidden: true }]} testId="users-table">
            {users.map((u) => (
              <Fragment key={u.id}>
                <tr>
                  <th scope="row">
                    {u.username}
                    {u.displayName ? <div className="muted">{u.displayName}</div> : null}
                  </th>
                  <td>
                    <label className="visually-hidden" htmlFor={`role-${u.id}`}>
                      Role of {u.username}
                    </label>
                    <select id={`role-${u.id}`} value={u.role} disabled={u.id === session.me.user.id} onChange={(e) => setRoleChange({ id: u.id, username: u.username, from: u.role, to: e.target.value as Role, bindings: u.bindings })}>
                      {ROLES.map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  </td>
                  <td data-testid="user-bindings">
                    {u.bindings.length === 0 ? (
                      <span className="muted">none</span>
                    ) : (
                      u.bindings.map((b) => (
                        <span key={b.id} className="badge" data-tone="info">
                          {bindingText(b)}
                        </span>
                      ))
                    )}
                  </td>
                  <td>
                    {u.disabled ? <span className="badge" data-tone="critical">disabled</span> : <span className="badge" data-tone="ok">active</span>}
                  </td>
                  <td title={formatDateTime(u.lastLoginAt)}>{formatRelative(u.lastLoginAt, Date.now())}</td>
                  <td className="row">
                    <button type="button" className="btn btn-small" aria-expanded={open === u.id} onClick={() => setOpen(open === u.id ? null : u.id)}>
                      Bindings &amp; password
                    </button>
                    {u.id !== session.me.user.id ? (
                      <button type="button" className="btn btn-small" onClick={() => update.mutate({ id: u.id, disabled: !u.disabled })}>
                        {u.disabled ? "Enable" : "Disable"}
                      </button>
                    ) : null}
                  </td>
                </tr>
                {open === u.id ? (
                  <DetailRow span={6}>
                    <UserDetails user={u} />
                  </DetailRow>
                ) : null}
              </Fragment>
            ))}
          </DataTable>
        )}
      </QueryState>
    </Panel>
  );
}

function TokensPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const query = useQuery(trpc.tokens.list.queryOptions());
  const [name, setName] = useState("");
  const [days, setDays] = useState("90");
  const refresh = () => refreshAfterChange(queryClient, { queryKey: trpc.tokens.pathKey() });
  const create = useMutation(trpc.tokens.create.mutationOptions({ onSuccess: async () => { setName(""); await refresh(); } }));
  const revoke = useMutation(trpc.tokens.revoke.mutationOptions({ onSuccess: refresh }));
  return (
    <Panel title="Your API tokens" id="tokens-heading">
      <form
        className="toolbar"
        aria-label="Create an API token"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({ name, ...(days ? { expiresInDays: Number(days) } : {}) });
        }}
      >
        <label>
          Token name
          <input required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Expires in (days; empty: never)
          <input type="number" min={1} max={3650} value={days} onChange={(e) => setDays(e.target.value)} />
        </label>
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          Create token
        </button>
      </form>
      <MutationError error={create.error ?? revoke.error} />
      {create.data ? (
        <div role="status" className="stack" data-testid="new-token">
          <p>Copy this token now: it is shown only once. It acts with your rights.</p>
          <div className="row">
            <code className="token-secret" data-testid="token-secret">
              {create.data.token}
            </code>
            <CopyButton text={create.data.token} label="Copy token" />
          </div>
        </div>
      ) : null}
      <QueryState query={query} what="tokens" isEmpty={(d) => d.length === 0} empty={<Empty title="No API tokens">Tokens let the CLI and scripts act as you.</Empty>}>
        {(tokens) => (
          <DataTable columns={["Name", "Prefix", "Created", "Expires", "Last used", { label: "Actions", hidden: true }]} testId="tokens-table">
            {tokens.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>
                  <code>{t.prefix}…</code>
                </td>
                <td>{formatDateTime(t.createdAt)}</td>
                <td>{t.expiresAt ? formatDateTime(t.expiresAt) : "never"}</td>
                <td>{formatRelative(t.lastUsedAt, Date.now())}</td>
                <td>
                  {t.revokedAt ? (
                    <span className="badge">revoked</span>
                  ) : (
                    <button type="button" className="btn btn-small btn-danger" onClick={() => revoke.mutate({ id: t.id })} aria-label={`Revoke token ${t.name}`}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </QueryState>
    </Panel>
  );
}

/** Admins manage users and role bindings; everyone manages their own API tokens. */
export function UsersPage() {
  const session = useSession();
  return (
    <>
      <h1>Users &amp; tokens</h1>
      {session.isAdmin ? <UsersAdmin /> : null}
      <TokensPanel />
    </>
  );
}
