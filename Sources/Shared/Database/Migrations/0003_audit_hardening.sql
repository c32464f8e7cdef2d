-- 0003_audit_hardening: audit events that cannot wedge the shipper, a dead-letter table, the keyed
-- chain's key version, and a least-privilege role for gateway workers (issue 10 items 1, 2, 19, 20).

-- ---------------------------------------------------------------------------------------------
-- Item 1: anything the strict JSON parser accepts must be storable. jsonb refuses `\u0000` in a
-- string and numbers PostgreSQL's numeric cannot hold (1e200000, 1e-20000), and it rewrites a
-- number's spelling. The free-form JSON columns therefore hold the event's exact JSON text, the
-- text the chain hashes. (Text columns cannot hold NUL either: the shipper escapes it reversibly,
-- see AuditStoredText.)
-- ---------------------------------------------------------------------------------------------
ALTER TABLE audit_events
    ALTER COLUMN jsonrpc_id TYPE text USING jsonrpc_id::text,
    ALTER COLUMN arguments  TYPE text USING arguments::text,
    ALTER COLUMN result     TYPE text USING result::text;

-- Item 20: the chain is an HMAC under a key the database never sees; each row names the version
-- of the operator key it was chained under, so verification picks that key from the ring.
ALTER TABLE audit_events ADD COLUMN chain_key_version text;

-- ---------------------------------------------------------------------------------------------
-- Item 2: an event PostgreSQL still refuses is kept here with the error instead of blocking the
-- events behind it. payload is the event exactly as it was spooled (JSON text, which holds any
-- value); id is the event's id, so a re-shipped refusal is stored once.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE audit_dead_letters (
    id                uuid        PRIMARY KEY,
    account_id        uuid        NOT NULL,
    event_time        timestamptz NOT NULL,
    payload           text        NOT NULL,
    error             text        NOT NULL,
    worker_id         text,
    dead_lettered_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_dead_letters_account_idx ON audit_dead_letters (account_id, dead_lettered_at);

CREATE POLICY tenant_isolation ON audit_dead_letters TO portcullis_app
    USING (account_id = nullif(current_setting('portcullis.account_id', true), '')::uuid);
ALTER TABLE audit_dead_letters ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON audit_dead_letters TO portcullis_app;

-- ---------------------------------------------------------------------------------------------
-- Item 19: portcullis_worker, the role gateway workers connect as. It may append audit rows and
-- dead letters, use counters and approvals, and read what it reads; it owns nothing, so it cannot
-- alter or drop a trigger, and it has no UPDATE or DELETE on audit rows. The chain head moves only
-- through the two functions below, forward from the link the caller read under the row lock.
-- LOGIN without a password: an operator sets one (or uses peer/cert authentication); created
-- idempotently because roles are cluster-wide (see 0001).
-- ---------------------------------------------------------------------------------------------
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'portcullis_worker') THEN
        BEGIN
            CREATE ROLE portcullis_worker LOGIN;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN
                NULL;
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'role portcullis_worker does not exist and % may not create it', current_user
                    USING ERRCODE = 'insufficient_privilege',
                          HINT = 'Have a superuser run CREATE ROLE portcullis_worker LOGIN once per cluster, or grant CREATEROLE to the migrating user.';
        END;
    END IF;
END
$$;

-- Locks the account's chain head (creating it at genesis) for the caller's transaction and
-- returns it. SELECT ... FOR UPDATE needs UPDATE privilege, which the worker does not have.
CREATE FUNCTION portcullis_lock_audit_chain_head(p_account uuid)
RETURNS TABLE (last_seq bigint, last_hash bytea)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    INSERT INTO audit_chain_heads (account_id) VALUES (p_account) ON CONFLICT (account_id) DO NOTHING;
    RETURN QUERY SELECT h.last_seq, h.last_hash FROM audit_chain_heads h WHERE h.account_id = p_account FOR UPDATE;
END
$$;

-- Moves the head from (from_seq, from_hash) to (to_seq, to_hash): only forward, only from where
-- it is, and only to a stored event that continues the stored chain (the first new event links
-- to from_hash, the last one carries to_hash, and every seq between is stored).
CREATE FUNCTION portcullis_advance_audit_chain_head(
    p_account uuid, p_from_seq bigint, p_from_hash bytea, p_to_seq bigint, p_to_hash bytea) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF p_to_seq IS NULL OR p_from_seq IS NULL OR p_to_seq <= p_from_seq THEN
        RAISE EXCEPTION 'audit chain head of % may only move forward', p_account USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM audit_events WHERE account_id = p_account AND seq = p_from_seq + 1 AND prev_hash = p_from_hash)
       OR NOT EXISTS (SELECT 1 FROM audit_events WHERE account_id = p_account AND seq = p_to_seq AND hash = p_to_hash)
       OR (SELECT count(*) FROM audit_events WHERE account_id = p_account AND seq > p_from_seq AND seq <= p_to_seq)
          <> p_to_seq - p_from_seq THEN
        RAISE EXCEPTION 'audit chain head of % may only move over stored events that continue it', p_account
            USING ERRCODE = 'check_violation';
    END IF;
    UPDATE audit_chain_heads SET last_seq = p_to_seq, last_hash = p_to_hash, updated_at = now()
    WHERE account_id = p_account AND last_seq = p_from_seq AND last_hash = p_from_hash;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'audit chain head of % is not at seq %', p_account, p_from_seq USING ERRCODE = 'check_violation';
    END IF;
END
$$;

-- Workers read across accounts, so their row-level-security policies let every row through; the
-- table privileges below are what bounds them.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['counters', 'approvals', 'audit_events', 'audit_chain_heads', 'audit_dead_letters']
    LOOP
        EXECUTE format('CREATE POLICY worker_access ON %I TO portcullis_worker USING (true) WITH CHECK (true)', t);
    END LOOP;
END
$$;

GRANT USAGE ON SCHEMA public TO portcullis_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON counters TO portcullis_worker;
GRANT SELECT, INSERT, UPDATE ON approvals TO portcullis_worker;
GRANT SELECT, INSERT ON audit_events, audit_dead_letters TO portcullis_worker;
GRANT SELECT ON audit_chain_heads TO portcullis_worker;

REVOKE ALL ON FUNCTION portcullis_lock_audit_chain_head(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION portcullis_advance_audit_chain_head(uuid, bigint, bytea, bigint, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portcullis_lock_audit_chain_head(uuid) TO portcullis_worker;
GRANT EXECUTE ON FUNCTION portcullis_advance_audit_chain_head(uuid, bigint, bytea, bigint, bytea) TO portcullis_worker;
GRANT EXECUTE ON FUNCTION portcullis_ensure_audit_partition(date) TO portcullis_worker;
GRANT EXECUTE ON FUNCTION portcullis_approval_status(text, timestamptz) TO portcullis_worker;
