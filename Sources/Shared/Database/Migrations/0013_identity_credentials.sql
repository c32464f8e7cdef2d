-- 0013_identity_credentials: per-identity upstream credentials (issue 14 item 5).
--
-- A server's credential_mode says whose credential the gateway sends upstream: `shared` (the
-- server's own, as before), `per_identity` (the calling identity's own; none is an error), or
-- `per_identity_or_shared` (the identity's own, else the server's).
ALTER TABLE servers ADD COLUMN credential_mode text NOT NULL DEFAULT 'shared'
    CHECK (credential_mode IN ('shared', 'per_identity', 'per_identity_or_shared'));

-- One credential per (identity, server), sealed like the server's own (design.md §3) but bound to
-- `account|server|identity_credentials|<identity>`, so a ciphertext copied to another identity's
-- row, another server or the servers table does not open. `source` is `static` (set through the
-- API) or `oauth` (an access token the control plane obtained and refreshes); `expires_at` is
-- when an OAuth access token stops working (NULL for a static credential).
CREATE TABLE identity_credentials (
    id                      uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id              uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    identity_id             uuid        NOT NULL,
    server_id               uuid        NOT NULL,
    auth_type               text        NOT NULL CHECK (auth_type IN ('headers', 'bearer')),
    credentials_ciphertext  bytea       NOT NULL,
    credentials_key_version text        NOT NULL,
    source                  text        NOT NULL DEFAULT 'static' CHECK (source IN ('static', 'oauth')),
    expires_at              timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, identity_id, server_id),
    FOREIGN KEY (account_id, identity_id) REFERENCES identities (account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, server_id)   REFERENCES servers (account_id, id)    ON DELETE CASCADE
);
CREATE INDEX identity_credentials_server_idx ON identity_credentials (account_id, server_id);

CREATE POLICY tenant_isolation ON identity_credentials TO portcullis_app
    USING (account_id = nullif(current_setting('portcullis.account_id', true), '')::uuid)
    WITH CHECK (account_id = nullif(current_setting('portcullis.account_id', true), '')::uuid);
ALTER TABLE identity_credentials ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON identity_credentials TO portcullis_app;
