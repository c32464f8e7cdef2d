-- 0014_upstream_oauth: upstream OAuth connect (issue 14 item 5, second half).
--
-- An identity "connects" to an OAuth-protected upstream: the control plane runs the authorization
-- code flow with PKCE against the upstream's authorization server, keeps the refresh token sealed
-- here, and publishes only the short-lived access token (identity_credentials, source 'oauth').

-- The client Portcullis is at an upstream's authorization server, one per (account, server,
-- issuer): registered by RFC 7591 dynamic registration, or supplied by an admin. The secret, when
-- there is one, is sealed bound to `account|server|oauth_client_secret`.
CREATE TABLE upstream_oauth_clients (
    id                        uuid        NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    account_id                uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    server_id                 uuid        NOT NULL,
    issuer                    text        NOT NULL,
    client_id                 text        NOT NULL,
    client_secret_ciphertext  bytea,
    client_secret_key_version text,
    created_at                timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, server_id, issuer),
    FOREIGN KEY (account_id, server_id) REFERENCES servers (account_id, id) ON DELETE CASCADE
);

-- One connection per (identity, server), written when a callback completes (or fails). The refresh
-- token is sealed bound to `account|server|oauth_refresh|<identity>` and never leaves the control
-- plane. `status` is `connected`, or `failed` with `last_error` (a sentence without any secret).
CREATE TABLE upstream_oauth_connections (
    id                         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id                 uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    identity_id                uuid        NOT NULL,
    server_id                  uuid        NOT NULL,
    issuer                     text        NOT NULL,
    token_endpoint             text        NOT NULL,
    client_id                  text        NOT NULL,
    resource                   text        NOT NULL,
    status                     text        NOT NULL CHECK (status IN ('connected', 'failed')),
    last_error                 text,
    refresh_token_ciphertext   bytea,
    refresh_token_key_version  text,
    access_expires_at          timestamptz,
    refreshed_at               timestamptz,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, identity_id, server_id),
    FOREIGN KEY (account_id, identity_id) REFERENCES identities (account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, server_id)   REFERENCES servers (account_id, id)    ON DELETE CASCADE
);
-- The refresher's scan: connections that can be refreshed, by the expiry of their access token.
CREATE INDEX upstream_oauth_connections_due_idx ON upstream_oauth_connections (access_expires_at)
    WHERE status = 'connected' AND refresh_token_ciphertext IS NOT NULL;

-- A started authorization waiting for its callback, with what the code exchange needs. The state
-- is the one-use capability of the unauthenticated callback: only its SHA-256 is stored. The PKCE
-- verifier is sealed bound to `account|server|oauth_verifier|<identity>`.
CREATE TABLE upstream_oauth_requests (
    state_hash                 bytea       PRIMARY KEY,
    account_id                 uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    identity_id                uuid        NOT NULL,
    server_id                  uuid        NOT NULL,
    issuer                     text        NOT NULL,
    token_endpoint             text        NOT NULL,
    client_id                  text        NOT NULL,
    resource                   text        NOT NULL,
    redirect_uri               text        NOT NULL,
    -- RFC 9207: the AS advertises `iss` in its redirects, so a redirect without it is refused.
    iss_required               boolean     NOT NULL,
    code_verifier_ciphertext   bytea       NOT NULL,
    code_verifier_key_version  text        NOT NULL,
    expires_at                 timestamptz NOT NULL,
    FOREIGN KEY (account_id, identity_id) REFERENCES identities (account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, server_id)   REFERENCES servers (account_id, id)    ON DELETE CASCADE
);
CREATE INDEX upstream_oauth_requests_expiry_idx ON upstream_oauth_requests (account_id, expires_at);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['upstream_oauth_clients', 'upstream_oauth_connections', 'upstream_oauth_requests'] LOOP
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I TO portcullis_app
            USING (account_id = nullif(current_setting('portcullis.account_id', true), '')::uuid)
            WITH CHECK (account_id = nullif(current_setting('portcullis.account_id', true), '')::uuid)$p$, t);
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO portcullis_app', t);
    END LOOP;
END $$;
