-- The control plane as an OAuth 2.1 authorization server (issue 14 item 2).
--
-- Installation-wide tables (signing keys, registered clients) have no account and no grant to
-- portcullis_app: only the owner (the control plane outside a tenant transaction) reads them, as
-- the snapshot publisher does. The per-account tables (pending requests, authorizations, refresh
-- tokens) get the usual tenant_isolation policy; the unauthenticated token endpoint reaches them as
-- the owner, but only by an exact secret-derived key (a code or refresh-token hash), like
-- portcullis_find_api_key.

-- Ed25519 keys access tokens are signed with. The private key is sealed (KeyPurpose
-- oauthSigningKeys); the public key is the raw 32 bytes in base64url (a JWK's `x`). retires_at
-- NULL marks the current key (at most one); a rotated key stays valid until retires_at.
CREATE TABLE oauth_signing_keys (
    id                        uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    kid                       text        NOT NULL UNIQUE,
    issuer                    text        NOT NULL,
    public_key                text        NOT NULL,
    private_key_ciphertext    bytea       NOT NULL,
    private_key_key_version   text        NOT NULL,
    created_at                timestamptz NOT NULL DEFAULT now(),
    retires_at                timestamptz
);
CREATE UNIQUE INDEX oauth_signing_keys_one_current ON oauth_signing_keys ((true)) WHERE retires_at IS NULL;

-- RFC 7591 dynamic registrations. Clients that use a Client ID Metadata Document are not stored:
-- their document is fetched (and cached in memory) when they are used.
CREATE TABLE oauth_clients (
    client_id                   text        PRIMARY KEY,
    client_secret_hash          bytea       CHECK (octet_length(client_secret_hash) = 32),
    client_name                 text        CHECK (length(client_name) <= 200),
    redirect_uris               text[]      NOT NULL CHECK (cardinality(redirect_uris) BETWEEN 1 AND 10),
    token_endpoint_auth_method  text        NOT NULL
        CHECK (token_endpoint_auth_method IN ('none', 'client_secret_post', 'client_secret_basic')),
    created_at                  timestamptz NOT NULL DEFAULT now(),
    CHECK ((token_endpoint_auth_method = 'none') = (client_secret_hash IS NULL))
);
CREATE INDEX oauth_clients_created_idx ON oauth_clients (created_at);

-- A member's consent: the client acts as the grant. Revoking it refuses the client's tokens at
-- the next snapshot (published as SnapshotOAuthAuthorization).
CREATE TABLE oauth_authorizations (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id   uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    grant_id     uuid        NOT NULL,
    client_id    text        NOT NULL,
    client_name  text,
    member_id    uuid,
    resource     text        NOT NULL,
    scope        text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, grant_id)  REFERENCES grants (account_id, id)  ON DELETE CASCADE,
    FOREIGN KEY (account_id, member_id) REFERENCES members (account_id, id) ON DELETE SET NULL (member_id)
);
CREATE INDEX oauth_authorizations_account_idx ON oauth_authorizations (account_id, created_at);

-- /oauth/authorize requests waiting for the member's decision (10 minutes), then the code the
-- decision issued (single use, 60 s), bound to the client, redirect URI, PKCE challenge,
-- resource and member.
CREATE TABLE oauth_requests (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id        uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    server_id         uuid        NOT NULL,
    client_id         text        NOT NULL,
    client_name       text,
    redirect_uri      text        NOT NULL,
    resource          text        NOT NULL,
    scope             text        NOT NULL,
    state             text,
    code_challenge    text        NOT NULL,
    expires_at        timestamptz NOT NULL,
    decided_at        timestamptz,
    member_id         uuid,
    authorization_id  uuid,
    code_hash         bytea       UNIQUE CHECK (octet_length(code_hash) = 32),
    code_expires_at   timestamptz,
    code_used_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, server_id) REFERENCES servers (account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, authorization_id) REFERENCES oauth_authorizations (account_id, id) ON DELETE CASCADE
);
CREATE INDEX oauth_requests_expiry_idx ON oauth_requests (expires_at);

-- Refresh tokens, one generation after another: a used one stays (used_at set) so that
-- presenting it again is recognised as reuse and revokes the authorization (OAuth 2.1 §4.3.1).
CREATE TABLE oauth_refresh_tokens (
    token_hash        bytea       PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    account_id        uuid        NOT NULL,
    authorization_id  uuid        NOT NULL,
    expires_at        timestamptz NOT NULL,
    used_at           timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (account_id, authorization_id) REFERENCES oauth_authorizations (account_id, id) ON DELETE CASCADE
);
CREATE INDEX oauth_refresh_tokens_authorization_idx ON oauth_refresh_tokens (account_id, authorization_id);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['oauth_authorizations', 'oauth_requests', 'oauth_refresh_tokens']
    LOOP
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I TO portcullis_app
            USING (account_id = nullif(current_setting('portcullis.account_id', true), '')::uuid)
            WITH CHECK (account_id = nullif(current_setting('portcullis.account_id', true), '')::uuid)$p$, t);
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE, DELETE ON oauth_authorizations, oauth_requests, oauth_refresh_tokens TO portcullis_app;
