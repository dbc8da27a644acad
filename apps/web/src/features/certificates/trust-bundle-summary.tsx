"use client";

import { useEffect, useMemo, useState } from "react";
import { DataTable } from "../ui/data-table.tsx";
import { Empty } from "../ui/states.tsx";
import { bundleRoots, commonName, pemToDer, shortFingerprint } from "./certificate-view.ts";
import styles from "./certificates.module.css";
import type { AuthoritiesData, RotationData, TrustBundleData } from "./identity-types.ts";

/** SHA-256 of each PEM's DER, where the browser offers WebCrypto (secure contexts); null otherwise. */
function useFingerprints(pems: readonly string[]): (string | null)[] {
  // Kept with the PEM list they belong to: a stale list would name the wrong roots after the bundle changes.
  const [computed, setComputed] = useState<{ key: string; fingerprints: (string | null)[] }>({ key: "", fingerprints: [] });
  const key = pems.join("\n");
  useEffect(() => {
    let cancelled = false;
    const subtle = typeof crypto !== "undefined" ? crypto.subtle : undefined;
    if (!subtle) return;
    void Promise.all(
      pems.map(async (pem) => {
        const der = pemToDer(pem);
        if (!der) return null;
        const digest = new Uint8Array(await subtle.digest("SHA-256", der));
        return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
      }),
    ).then((list) => {
      if (!cancelled) setComputed({ key, fingerprints: list });
    });
    return () => {
      cancelled = true;
    };
    // `key` stands for the PEM list's content (a new array each render otherwise).
  }, [key]);
  return computed.key === key ? computed.fingerprints : [];
}

/**
 * What every proxy trusts: the roots (two during a rotation), the bundle
 * version, revoked intermediates, and, while a rotation reports them, which
 * bundle version each cluster runs.
 */
export function TrustBundleSummary({ bundle, authorities, rotation }: { bundle: TrustBundleData; authorities: AuthoritiesData; rotation: RotationData | null }) {
  const fingerprints = useFingerprints(bundle?.rootsPem ?? []);
  const roots = useMemo(() => (bundle ? bundleRoots(bundle.rootsPem, authorities.authorities, fingerprints) : []), [bundle, authorities, fingerprints]);
  if (!bundle) return <Empty title="No trust bundle yet">The mesh has no CA: set WEFT_CA_KEY on the manager.</Empty>;
  const acks = rotation?.progress.clusters ?? [];
  return (
    <div className="stack" data-testid="trust-bundle">
      <dl className="facts">
        <dt>Trust domain</dt>
        <dd>{authorities.trustDomain}</dd>
        <dt>Bundle version</dt>
        <dd data-testid="bundle-version">v{bundle.bundleVersion}</dd>
        <dt>Roots</dt>
        <dd>{roots.length}</dd>
        <dt>Issuing root</dt>
        <dd className={styles.mono} title={bundle.issuingRootFingerprint}>
          {shortFingerprint(bundle.issuingRootFingerprint)}
        </dd>
        <dt>Revoked intermediates</dt>
        <dd>{bundle.revokedFingerprints.length === 0 ? "none" : bundle.revokedFingerprints.length}</dd>
      </dl>
      <ul aria-label="Roots in the bundle" data-testid="bundle-roots">
        {roots.map((r, i) => (
          <li key={i}>
            {r.subject ? commonName(r.subject) : "root"}{" "}
            {r.fingerprint ? (
              <span className={`${styles.mono} muted`} title={r.fingerprint}>
                {shortFingerprint(r.fingerprint)}
              </span>
            ) : null}{" "}
            {r.states.map((s) => (
              <span key={s} className="badge">
                {s}
              </span>
            ))}
            {r.fingerprint === bundle.issuingRootFingerprint ? (
              <span className="badge" data-tone="ok">
                issuing
              </span>
            ) : null}
          </li>
        ))}
      </ul>
      {bundle.revokedFingerprints.length > 0 ? (
        <details>
          <summary>Revoked intermediate fingerprints</summary>
          <ul className={styles.mono}>
            {bundle.revokedFingerprints.map((f) => (
              <li key={f}>{f}</li>
            ))}
          </ul>
        </details>
      ) : null}
      {acks.length > 0 ? (
        <DataTable columns={["Cluster", "Runs bundle", "Current"]} testId="bundle-acks">
          {acks.map((c) => (
            <tr key={c.cluster}>
              <td>{c.cluster}</td>
              <td>{c.bundleVersion ? `v${c.bundleVersion}` : "none acknowledged"}</td>
              <td>
                {c.bundleVersion === bundle.bundleVersion ? (
                  <span className="badge" data-tone="ok">
                    yes
                  </span>
                ) : (
                  <span className="badge" data-tone="warning">
                    behind
                  </span>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      ) : (
        <p className="muted">Which bundle each cluster runs is reported while a rotation computes its progress.</p>
      )}
    </div>
  );
}
