-- 0011_audit_auth_method: audit rows name how the caller authenticated (issue 14 item 6): with a
-- grant token, as an OAuth client of the control plane, or with a token of an external issuer the
-- account trusts, and the OAuth client's id. Rows written before stay NULL, and so stay chained
-- exactly as they were (AuditChain: the members join the chained object only when set).
ALTER TABLE audit_events
    ADD COLUMN auth_method text CHECK (auth_method IN ('grant_token', 'oauth', 'external_issuer')),
    ADD COLUMN auth_client_id text;
