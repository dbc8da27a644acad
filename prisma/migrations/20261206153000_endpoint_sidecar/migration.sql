-- Issue 12: whether a Weft proxy fronts an endpoint (remote callers reach it through the east-west gateway only then).
ALTER TABLE "Endpoint" ADD COLUMN "sidecar" BOOLEAN NOT NULL DEFAULT true;
