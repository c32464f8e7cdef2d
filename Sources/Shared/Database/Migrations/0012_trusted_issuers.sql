-- 0012_trusted_issuers: OIDC issuers an account trusts (issue 14 item 4). An agent holding a token
-- from the account's identity provider calls the gateway with it: the token's identity claim names
-- an identity of the account (its label), an optional group claim picks a policy.
--
-- The control plane fills jwks_uri (from <issuer>/.well-known/openid-configuration), keys (the
-- usable public keys of that JWKS, as {kid, alg, x, y, n, e}) and keys_checked_at (the last attempt); a failed refresh
-- keeps the previous keys and records why in keys_error. Workers read only the snapshot.
CREATE TABLE trusted_issuers (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id       uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    issuer           text        NOT NULL CHECK (length(issuer) BETWEEN 1 AND 2048),
    audience         text        NOT NULL CHECK (length(audience) BETWEEN 1 AND 2048),
    -- Never none or HS*: the API refuses them, and so does the table.
    algorithms       text[]      NOT NULL CHECK (cardinality(algorithms) >= 1 AND algorithms <@ ARRAY['RS256', 'ES256', 'EdDSA']),
    identity_claim   text        NOT NULL DEFAULT 'sub' CHECK (length(identity_claim) BETWEEN 1 AND 200),
    group_claim      text        CHECK (length(group_claim) BETWEEN 1 AND 200),
    -- Ordered [{"group": "...", "policy_id": "..."}]: the first group the token carries wins.
    group_policies   jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(group_policies) = 'array'),
    jwks_uri         text,
    keys             jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(keys) = 'array'),
    keys_checked_at  timestamptz,
    keys_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, issuer),
    UNIQUE (account_id, id)
);

CREATE POLICY tenant_isolation ON trusted_issuers TO portcullis_app
    USING (account_id = nullif(current_setting('portcullis.account_id', true), '')::uuid)
    WITH CHECK (account_id = nullif(current_setting('portcullis.account_id', true), '')::uuid);
ALTER TABLE trusted_issuers ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON trusted_issuers TO portcullis_app;

-- Every worker carries every account's issuers and keys in its snapshot: a per-account bound like
-- those of migration 0005 (issue 10 item 15), refused with `account limit reached: trusted_issuers (20)`.
ALTER TABLE account_limits ADD COLUMN trusted_issuers integer NOT NULL DEFAULT 20 CHECK (trusted_issuers > 0);
CREATE TRIGGER trusted_issuers_account_limit BEFORE INSERT ON trusted_issuers
    FOR EACH ROW EXECUTE FUNCTION portcullis_enforce_account_limit('trusted_issuers', 'true');
