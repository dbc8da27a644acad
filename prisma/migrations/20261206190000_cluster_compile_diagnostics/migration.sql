-- Issue 12: the compiler's diagnostics of each cluster's proxies, as the agent's last acknowledgement carried them.
ALTER TABLE "Cluster" ADD COLUMN "compileDiagnostics" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN "diagnosticsVersion" BIGINT,
ADD COLUMN "diagnosticsAt" TIMESTAMP(3);
