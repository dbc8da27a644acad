// Field shapes the agent↔manager and sidecar↔agent contracts share.
import { z } from "zod";

/** A SHA-256 fingerprint (of a certificate or a trust bundle). */
export const Sha256FingerprintSchema = z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 fingerprint: 64 lowercase hex digits");

/** A certificate serial number. */
export const SerialHexSchema = z.string().regex(/^[0-9a-f]{1,64}$/, "must be a certificate serial in lowercase hex");

/** PEM text of at most `max` characters. */
export const pemSchema = (max: number) => z.string().min(1).max(max, `must be at most ${max} characters`);

/** A version counter (config, catalog, trust bundle) as a decimal string: bigints travel as text. */
export const DecimalVersionSchema = z.string().regex(/^\d{1,19}$/, "must be a decimal version number");
