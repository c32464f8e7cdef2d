-- 0001_initial_schema: the whole schema of design.md §2, 5.5, 5.6, 6.1 and 7.
--
-- Contract with the migration runner (issue 2): this file is sent as one simple-query string inside
-- the transaction the runner opens, under its advisory lock, and recorded by the runner in
-- schema_migrations. So: no BEGIN/COMMIT here, and nothing that cannot run in a transaction block.
--
-- Everything lives in schema public; the SECURITY DEFINER functions pin search_path to it.
--
-- Three kinds of database user take part:
--   * the owner: whoever runs the migrations. Owns every object, is not subject to row-level
--     security (RLS is enabled, not forced). Gateway workers and the snapshot publisher, which
--     legitimately read across accounts, connect as the owner.
--   * portcullis_app: the control plane's request path. NOLOGIN; a login role is granted membership
--     and does SET ROLE portcullis_app (or inherits it). It neither owns the tables nor bypasses
--     RLS, so a query that forgets its account filter still sees nothing of another account
--     (issue 4, "second wall"). The account is set per transaction with
--     SELECT set_config('portcullis.account_id', $1, true)  -- = SET LOCAL, but parameterisable.
--   * anyone else: no privileges on anything here.

-- ---------------------------------------------------------------------------------------------
-- Role. Roles are cluster-global while migrations are per database: several databases of one
-- cluster (test suites cloned from a template, staging next to production) apply this file,
-- possibly at the same moment, and the runner's advisory lock is per database. Hence the check on
-- pg_roles plus catching the error of a concurrent creator (duplicate_object, or unique_violation
-- when the other CREATE ROLE commits while this one waits on pg_authid's index).
-- ---------------------------------------------------------------------------------------------
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'portcullis_app') THEN
        BEGIN
            CREATE ROLE portcullis_app NOLOGIN;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN
                NULL;
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'role portcullis_app does not exist and % may not create it', current_user
                    USING ERRCODE = 'insufficient_privilege',
                          HINT = 'Have a superuser run CREATE ROLE portcullis_app NOLOGIN once per cluster, or grant CREATEROLE to the migrating user.';
        END;
    END IF;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Tenancy (design.md §2). Every tenant table carries account_id. References between tenant tables are
-- composite (account_id, x_id) -> x (account_id, id): foreign-key checks bypass RLS, so a plain
-- x_id reference would let an application bug attach account A's grant to account B's server.
-- The composite key makes that impossible in the database itself.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE accounts (
    id                    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name                  text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    slug                  text        NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    -- design.md §5.6: approval requests are POSTed here, signed with Portcullis-Signature.
    approval_webhook_url  text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

-- Email is unique across the whole installation (login takes only email and password), compared
-- case-insensitively.
CREATE TABLE members (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id     uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email          text        NOT NULL CHECK (position('@' IN email) > 1),
    password_hash  text        NOT NULL,
    role           text        NOT NULL CHECK (role IN ('admin', 'policy_manager', 'viewer')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, id)
);
CREATE UNIQUE INDEX members_email_key ON members (lower(email));

-- design.md §3: tokens are stored only as SHA-256 (32 bytes) and looked up by hash; prefix and last
-- characters are kept so a list can show "pcs_ak_…x7Qz" without the secret.
CREATE TABLE api_keys (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id    uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    member_id     uuid        NOT NULL,
    name          text        NOT NULL DEFAULT '',
    token_hash    bytea       NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    token_prefix  text        NOT NULL DEFAULT 'pcs_ak_',
    token_last    text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    expires_at    timestamptz,           -- console login keys expire; keys made via the API may not
    revoked_at    timestamptz,
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, member_id) REFERENCES members (account_id, id) ON DELETE CASCADE
);
CREATE INDEX api_keys_member_idx ON api_keys (account_id, member_id);

-- design.md §2, §3, 5.4: upstream credentials (static headers or bearer token, serialised by the app)
-- are AES-256-GCM ciphertext; the key version is also kept in a column so a rotation can find the
-- rows still sealed with an old key. Timeouts default to design.md §5.4's 5 s / 60 s / 300 s.
CREATE TABLE servers (
    id                      uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id              uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name                    text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description             text,
    url                     text        NOT NULL,
    transport               text        NOT NULL DEFAULT 'streamable-http' CHECK (transport IN ('streamable-http')),
    auth_type               text        NOT NULL DEFAULT 'none' CHECK (auth_type IN ('none', 'headers', 'bearer')),
    credentials_ciphertext  bytea,
    credentials_key_version text,
    connect_timeout_ms      integer     NOT NULL DEFAULT 5000   CHECK (connect_timeout_ms > 0),
    first_byte_timeout_ms   integer     NOT NULL DEFAULT 60000  CHECK (first_byte_timeout_ms > 0),
    idle_timeout_ms         integer     NOT NULL DEFAULT 300000 CHECK (idle_timeout_ms > 0),
    status                  text        NOT NULL DEFAULT 'pending',
    status_detail           text,
    last_discovered_at      timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, name),
    UNIQUE (account_id, id),
    CHECK ((auth_type = 'none') = (credentials_ciphertext IS NULL)),
    CHECK ((credentials_ciphertext IS NULL) = (credentials_key_version IS NULL))
);

-- design.md §5.7, §5.8: the catalog. definition_hash is SHA-256 (lowercase hex) of the canonical
-- definition; the tool is approved when approved_hash = definition_hash. approved_definition is
-- kept so the API can show the diff after a rug pull. risk_* is the classifier's answer, and
-- risk_override_* the admin's, which wins. drift_* is the last mismatch a worker reported.
CREATE TABLE tools (
    id                       uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id               uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    server_id                uuid        NOT NULL,
    name                     text        NOT NULL,
    title                    text,
    description              text,
    input_schema             jsonb,
    output_schema            jsonb,
    annotations              jsonb,
    definition               jsonb       NOT NULL,
    definition_hash          text        NOT NULL,
    approved_hash            text,
    approved_definition      jsonb,
    approved_at              timestamptz,
    approved_by              uuid,        -- member; NULL with approved_at set = approved automatically
    risk_class               text        NOT NULL CHECK (risk_class IN ('read', 'write', 'execute', 'destructive', 'financial')),
    risk_severity            text        NOT NULL CHECK (risk_severity IN ('low', 'medium', 'high', 'critical')),
    risk_rationale           text        NOT NULL,
    risk_source              text        NOT NULL,
    risk_override_class      text        CHECK (risk_override_class IN ('read', 'write', 'execute', 'destructive', 'financial')),
    risk_override_severity   text        CHECK (risk_override_severity IN ('low', 'medium', 'high', 'critical')),
    findings                 jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(findings) = 'array'),
    drift_hash               text,
    drift_reported_at        timestamptz,
    first_seen               timestamptz NOT NULL DEFAULT now(),
    last_seen                timestamptz NOT NULL DEFAULT now(),
    removed_at               timestamptz, -- no longer listed by the upstream
    UNIQUE (server_id, name),
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, server_id) REFERENCES servers (account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, approved_by) REFERENCES members (account_id, id) ON DELETE SET NULL (approved_by)
);
CREATE INDEX tools_account_server_idx ON tools (account_id, server_id);

CREATE TABLE identities (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id   uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    label        text        NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    description  text,
    metadata     jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, label),
    UNIQUE (account_id, id)
);

-- design.md §2: a policy is a name plus immutable versions; audit rows record the version that decided,
-- so versions are never rewritten (portcullis_app may only INSERT and SELECT them) and a deleted
-- policy is soft-deleted (deleted_at) so its versions stay readable. A name is unique among the
-- live policies of an account. current_version must exist in policy_versions by the end of the
-- writing transaction (deferred check: insert the policy, then its version 1, then commit).
CREATE TABLE policies (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id       uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name             text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description      text,
    server_id        uuid,
    current_version  integer     NOT NULL DEFAULT 1 CHECK (current_version > 0),
    created_by       uuid,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz,
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, server_id) REFERENCES servers (account_id, id) ON DELETE SET NULL (server_id),
    FOREIGN KEY (account_id, created_by) REFERENCES members (account_id, id) ON DELETE SET NULL (created_by)
);
CREATE UNIQUE INDEX policies_live_name_key ON policies (account_id, name) WHERE deleted_at IS NULL;
CREATE INDEX policies_server_idx ON policies (account_id, server_id);

CREATE TABLE policy_versions (
    policy_id   uuid        NOT NULL,
    version     integer     NOT NULL CHECK (version > 0),
    account_id  uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    document    jsonb       NOT NULL CHECK (jsonb_typeof(document) = 'object'),
    created_by  uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (policy_id, version),
    FOREIGN KEY (account_id, policy_id) REFERENCES policies (account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, created_by) REFERENCES members (account_id, id) ON DELETE SET NULL (created_by)
);
CREATE INDEX policy_versions_account_idx ON policy_versions (account_id, policy_id);

ALTER TABLE policies ADD CONSTRAINT policies_current_version_fkey
    FOREIGN KEY (id, current_version) REFERENCES policy_versions (policy_id, version)
    DEFERRABLE INITIALLY DEFERRED;

-- design.md §2, §3, 5.1: identity x server x policy. A grant with no policy denies every call, so a
-- policy that disappears leaves policy_id NULL (deny) rather than failing. Revocation and
-- rotation keep the row (audit rows point at it); rotate replaces token_hash.
CREATE TABLE grants (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id   uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    identity_id  uuid        NOT NULL,
    server_id    uuid        NOT NULL,
    policy_id    uuid,
    description  text,
    token_hash   bytea       NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    token_last   text        NOT NULL DEFAULT '',
    expires_at   timestamptz,
    revoked_at   timestamptz,
    rotated_at   timestamptz,
    created_by   uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, identity_id) REFERENCES identities (account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, server_id)   REFERENCES servers (account_id, id)    ON DELETE CASCADE,
    FOREIGN KEY (account_id, policy_id)   REFERENCES policies (account_id, id)   ON DELETE SET NULL (policy_id),
    FOREIGN KEY (account_id, created_by)  REFERENCES members (account_id, id)    ON DELETE SET NULL (created_by)
);
CREATE INDEX grants_identity_idx ON grants (account_id, identity_id);
CREATE INDEX grants_server_idx   ON grants (account_id, server_id);
CREATE INDEX grants_policy_idx   ON grants (account_id, policy_id);

-- design.md §5.6. arguments_hash is the (HMAC of the) canonical arguments. Only ONE pending request may
-- exist per (grant, tool, arguments): many workers holding the same call reuse it
-- (INSERT ... ON CONFLICT (grant_id, tool, arguments_hash) WHERE status = 'pending' DO NOTHING, then
-- SELECT). An approved one is consumed exactly once with
-- UPDATE ... SET status = 'consumed' WHERE id = $1 AND status = 'approved' AND expires_at > now().
CREATE TABLE approvals (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id      uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    grant_id        uuid        NOT NULL,
    tool            text        NOT NULL,
    arguments_hash  bytea       NOT NULL,
    arguments       jsonb,
    rule            text,        -- JSON Pointer of the rule that asked for approval
    status          text        NOT NULL DEFAULT 'pending'
                                CHECK (status IN ('pending', 'approved', 'denied', 'expired', 'consumed')),
    requested_at    timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    decided_at      timestamptz,
    decided_by      uuid,
    reason          text,
    consumed_at     timestamptz,
    UNIQUE (account_id, id),
    CHECK (expires_at > requested_at),
    CHECK ((status = 'consumed') = (consumed_at IS NOT NULL)),
    CHECK (status NOT IN ('approved', 'denied', 'consumed') OR decided_at IS NOT NULL),
    FOREIGN KEY (account_id, grant_id)   REFERENCES grants (account_id, id)  ON DELETE CASCADE,
    FOREIGN KEY (account_id, decided_by) REFERENCES members (account_id, id) ON DELETE SET NULL (decided_by)
);
CREATE UNIQUE INDEX approvals_one_pending_key ON approvals (grant_id, tool, arguments_hash) WHERE status = 'pending';
CREATE INDEX approvals_approved_idx ON approvals (grant_id, tool, arguments_hash) WHERE status = 'approved';
CREATE INDEX approvals_status_idx   ON approvals (account_id, status, requested_at DESC);
CREATE INDEX approvals_expiry_idx   ON approvals (expires_at) WHERE status IN ('pending', 'approved');

-- design.md §2, §6.1: a gateway process as the control plane sees it. Not a tenant object: workers serve
-- every account.
CREATE TABLE workers (
    id                text        PRIMARY KEY,
    version           text        NOT NULL DEFAULT '',
    snapshot_version  bigint,
    address           text,
    metadata          jsonb       NOT NULL DEFAULT '{}',
    first_seen        timestamptz NOT NULL DEFAULT now(),
    last_heartbeat    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workers_heartbeat_idx ON workers (last_heartbeat);

-- design.md §6: every state change made through the API (who, what, before, after). Append-only for
-- portcullis_app (SELECT and INSERT only). No foreign key to accounts or members on purpose: the
-- log must outlive what it describes, and must be able to record the deletion of an account or a
-- member in the very transaction that deletes it.
CREATE TABLE admin_audit (
    id                 uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id         uuid        NOT NULL,
    actor_member_id    uuid,
    actor_api_key_id   uuid,
    actor_label        text        NOT NULL DEFAULT '',   -- e.g. the member's email at that time
    action             text        NOT NULL,              -- e.g. 'create', 'update', 'delete', 'approve'
    object_type        text        NOT NULL,              -- e.g. 'server', 'grant', 'policy'
    object_id          text,
    before             jsonb,
    after              jsonb,
    request_id         text,
    time               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX admin_audit_account_time_idx ON admin_audit (account_id, time DESC);
CREATE INDEX admin_audit_object_idx       ON admin_audit (account_id, object_type, object_id);

-- ---------------------------------------------------------------------------------------------
-- Change sequence (design.md §6.1). Each configuration write inserts one row per changed entity in the
-- same transaction, after taking the publisher's transaction-level advisory lock, so change numbers
-- become visible in the order they were taken and a reader of "WHERE change > $1 ORDER BY change"
-- never skips one. The primary-key btree serves that range scan. No foreign key to accounts: the
-- deletion of an account must itself be a change row, written in the transaction that deletes it.
-- Pruning (by time) and "too old -> 410" use min(change).
-- ---------------------------------------------------------------------------------------------
CREATE SEQUENCE config_change_seq AS bigint;

CREATE TABLE config_changes (
    change       bigint      PRIMARY KEY DEFAULT nextval('config_change_seq'),
    account_id   uuid        NOT NULL,
    entity_kind  text        NOT NULL CHECK (entity_kind IN ('account', 'server', 'tool', 'identity', 'policy', 'grant', 'member')),
    entity_id    uuid        NOT NULL,
    op           text        NOT NULL CHECK (op IN ('upsert', 'delete')),
    time         timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE config_change_seq OWNED BY config_changes.change;
CREATE INDEX config_changes_time_idx ON config_changes (time);

-- ---------------------------------------------------------------------------------------------
-- Counters (design.md §5.5). One row per (account, scope, counter, window); a reservation of n against
-- max is one statement:
--   INSERT INTO counters (account_id, scope_kind, scope_id, counter, window_kind, window_start, window_end, count)
--   SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE $8 <= $9
--   ON CONFLICT (account_id, scope_kind, scope_id, counter, window_kind, window_start)
--   DO UPDATE SET count = counters.count + excluded.count
--   WHERE counters.count + excluded.count <= $9
--   RETURNING count;
-- No row back = exhausted. (The SELECT ... WHERE guards the insert path, where ON CONFLICT's WHERE
-- does not apply.) window_kind is part of the key because two limits may share a counter name with
-- different windows whose starts coincide (12:00 is both a minute and an hour start).
-- count is numeric because increment_from counts an argument's value, which may be fractional.
-- LOGGED on purpose: an UNLOGGED table is emptied after a crash and is empty on a promoted standby,
-- which would silently reset every hour and day quota; the speed comes from synchronous_commit=off
-- in the reserving transaction instead, whose worst case is losing the last few ms of increments.
-- fillfactor leaves room for HOT updates (count is not indexed). Rows whose window_end has passed
-- are deleted by a periodic sweep.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE counters (
    account_id    uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scope_kind    text        NOT NULL CHECK (scope_kind IN ('grant', 'identity', 'server', 'account', 'session')),
    scope_id      text        NOT NULL,
    counter       text        NOT NULL,
    window_kind   text        NOT NULL CHECK (window_kind IN ('second', 'minute', 'hour', 'day')),
    window_start  timestamptz NOT NULL,
    window_end    timestamptz NOT NULL,
    count         numeric     NOT NULL DEFAULT 0 CHECK (count >= 0),
    PRIMARY KEY (account_id, scope_kind, scope_id, counter, window_kind, window_start),
    CHECK (window_end > window_start)
) WITH (fillfactor = 70);
CREATE INDEX counters_window_end_idx ON counters (window_end);

-- ---------------------------------------------------------------------------------------------
-- Audit log (design.md §7). Append-only, partitioned by month on time (UTC), retention by dropping whole
-- partitions (recorded in audit_retention_log, see portcullis_drop_audit_partition).
--
-- No foreign keys: the shipper inserts spooled events, possibly long after the fact; it must never
-- be refused because a grant, server or account was deleted meanwhile, and an FK check per row
-- would cost the 20k events/s target. Immutability: portcullis_app has only SELECT and INSERT, and
-- for everyone (the owner included) a trigger refuses UPDATE, DELETE and TRUNCATE. The owner can
-- still disable the trigger or drop a partition; the per-account hash chain is what makes that
-- evident.
--
-- Hash chain: per account, seq = 1, 2, 3 ... in insertion order, hash = SHA-256(prev_hash ||
-- canonical(event)); the first event of an account has prev_hash = 32 zero bytes. The shipper
-- locks the account's row in audit_chain_heads (INSERT ... ON CONFLICT DO NOTHING, then SELECT ...
-- FOR UPDATE), chains its batch, inserts it, and moves the head. Idempotence by event id: the
-- primary key is (id, time), since a key on a partitioned table must include the partition key;
-- time comes from the spooled event, so a re-shipped event conflicts with itself.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE audit_events (
    id                    uuid             NOT NULL,
    time                  timestamptz      NOT NULL,
    account_id            uuid             NOT NULL,
    kind                  text             NOT NULL DEFAULT 'request',  -- or an approval step (design.md §5.6 step 5)
    identity_id           uuid,
    identity_label        text,
    grant_id              uuid,
    server_id             uuid,
    session_digest        bytea,           -- digest of the sealed session id, never the id itself
    protocol_version      text,
    method                text,
    jsonrpc_id            jsonb,           -- string or number, as the client sent it
    tool                  text,
    decision              text             NOT NULL CHECK (decision IN ('allow', 'deny')),
    code                  text,            -- design.md §5.3 decision code
    rule                  text,            -- JSON Pointer or (no policy), (hidden), ...
    message               text,
    policy_id             uuid,
    policy_version        integer,
    snapshot_version      bigint,
    tool_definition_hash  text,
    argument_keys         text[],
    arguments_hmac        bytea,
    arguments             jsonb,           -- only as the policy's audit.arguments allows, secrets masked
    result                jsonb,           -- only with audit.results = true
    unenforced_limits     text[],          -- fail: open limits that could not be enforced (design.md §5.5)
    upstream_status       integer,
    gateway_latency_ms    double precision,
    upstream_latency_ms   double precision,
    bytes_in              bigint,
    bytes_out             bigint,
    worker_id             text,
    approval_id           uuid,
    seq                   bigint           NOT NULL CHECK (seq > 0),
    prev_hash             bytea            NOT NULL CHECK (octet_length(prev_hash) = 32),
    hash                  bytea            NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (id, time)
) PARTITION BY RANGE (time);
-- Indexes on the parent are created on every partition, present and future.
CREATE INDEX audit_events_account_time_idx ON audit_events (account_id, time DESC);
CREATE INDEX audit_events_account_seq_idx  ON audit_events (account_id, seq);
CREATE INDEX audit_events_grant_idx        ON audit_events (account_id, grant_id, time DESC);
CREATE INDEX audit_events_tool_idx         ON audit_events (account_id, tool, time DESC);

-- The chain head is bookkeeping, not an audit row: it moves with every batch, so UPDATE is allowed.
-- Without it, finding the last hash would need a scan across partitions under a lock.
CREATE TABLE audit_chain_heads (
    account_id  uuid        PRIMARY KEY,
    last_seq    bigint      NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    last_hash   bytea       NOT NULL DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea
                            CHECK (octet_length(last_hash) = 32),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per dropped partition. chain_anchors holds, per account, the last seq and hash of the
-- dropped month, so verification can start at the first surviving event and still check its link.
CREATE TABLE audit_retention_log (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partition_name   text        NOT NULL,
    range_start      timestamptz NOT NULL,
    range_end        timestamptz NOT NULL,
    row_count        bigint      NOT NULL,
    chain_anchors    jsonb       NOT NULL DEFAULT '{}',
    reason           text,
    dropped_by       text        NOT NULL DEFAULT current_user,
    dropped_at       timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION portcullis_refuse_audit_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Audit rows are never changed; retention drops whole monthly partitions.';
END
$$;

-- Row triggers on a partitioned table are cloned onto every partition, present and future.
-- TRUNCATE triggers are statement triggers, which are not cloned: TRUNCATE audit_events fires the
-- parent's, but TRUNCATE audit_events_2025_01 fires only the partition's own, so
-- portcullis_ensure_audit_partition attaches one to each partition it creates.
CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION portcullis_refuse_audit_change();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION portcullis_refuse_audit_change();
CREATE TRIGGER audit_retention_log_append_only
    BEFORE UPDATE OR DELETE ON audit_retention_log
    FOR EACH ROW EXECUTE FUNCTION portcullis_refuse_audit_change();
CREATE TRIGGER audit_retention_log_no_truncate
    BEFORE TRUNCATE ON audit_retention_log
    FOR EACH STATEMENT EXECUTE FUNCTION portcullis_refuse_audit_change();

-- Creates the partition holding the UTC month of `month` (any day of it) if missing; returns its
-- name. SECURITY DEFINER so the control plane (as portcullis_app) and workers can make sure next
-- month exists; the advisory lock makes concurrent callers safe. The shipper, on SQLSTATE 23514
-- ("no partition of relation found for row"), calls it for the event's month and retries.
-- The partition gets no privileges of its own: portcullis_app reaches rows only through the parent,
-- where the RLS policy lives (a partition read directly would not apply the parent's policies).
CREATE FUNCTION portcullis_ensure_audit_partition(month date) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    first_day  date := date_trunc('month', month)::date;
    next_first date := (date_trunc('month', month) + interval '1 month')::date;
    part       text := format('audit_events_%s', to_char(first_day, 'YYYY_MM'));
BEGIN
    IF month IS NULL THEN
        RAISE EXCEPTION 'portcullis_ensure_audit_partition: month is null';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('portcullis_ensure_audit_partition'));
    IF to_regclass(format('public.%I', part)) IS NULL THEN
        EXECUTE format('CREATE TABLE public.%I PARTITION OF public.audit_events FOR VALUES FROM (%L) TO (%L)',
                       part, to_char(first_day, 'YYYY-MM-DD') || ' 00:00:00+00',
                       to_char(next_first, 'YYYY-MM-DD') || ' 00:00:00+00');
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON public.%I FOR EACH STATEMENT EXECUTE FUNCTION public.portcullis_refuse_audit_change()',
                       part || '_no_truncate', part);
        -- In case default privileges ever hand partitions to the application.
        EXECUTE format('REVOKE ALL ON public.%I FROM PUBLIC, portcullis_app', part);
    END IF;
    RETURN part;
END
$$;

-- Retention (design.md §7): drops the partition of a past month after recording what it held. Owner
-- only (not granted to portcullis_app); the current month cannot be dropped.
CREATE FUNCTION portcullis_drop_audit_partition(month date, reason text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    first_day  date := date_trunc('month', month)::date;
    part       text := format('audit_events_%s', to_char(first_day, 'YYYY_MM'));
    rows       bigint;
    anchors    jsonb;
BEGIN
    IF first_day >= date_trunc('month', now() AT TIME ZONE 'UTC')::date THEN
        RAISE EXCEPTION 'refusing to drop audit partition % of the current or a future month', part;
    END IF;
    IF to_regclass(format('public.%I', part)) IS NULL THEN
        RETURN 0;
    END IF;
    EXECUTE format('SELECT count(*) FROM public.%I', part) INTO rows;
    EXECUTE format($q$
        SELECT coalesce(jsonb_object_agg(account_id::text,
                        jsonb_build_object('seq', seq, 'hash', encode(hash, 'hex'))), '{}')
        FROM (SELECT DISTINCT ON (account_id) account_id, seq, hash
              FROM public.%I ORDER BY account_id, seq DESC) last$q$, part) INTO anchors;
    INSERT INTO audit_retention_log (partition_name, range_start, range_end, row_count, chain_anchors, reason)
    VALUES (part,
            (first_day::timestamp AT TIME ZONE 'UTC'),
            ((first_day + interval '1 month')::timestamp AT TIME ZONE 'UTC'),
            rows, anchors, reason);
    EXECUTE format('ALTER TABLE public.audit_events DETACH PARTITION public.%I', part);
    EXECUTE format('DROP TABLE public.%I', part);
    RETURN rows;
END
$$;

-- The current and the next month; afterwards the control plane keeps one month ahead.
DO $$
BEGIN
    PERFORM portcullis_ensure_audit_partition((now() AT TIME ZONE 'UTC')::date);
    PERFORM portcullis_ensure_audit_partition(((now() AT TIME ZONE 'UTC') + interval '1 month')::date);
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Authentication lookups for portcullis_app. Before authentication the account is unknown, so RLS
-- would hide the very row being looked for. These two SECURITY DEFINER functions are the only
-- cross-account reads the application role can make, each by an exact secret-derived key.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION portcullis_find_api_key(p_token_hash bytea)
RETURNS TABLE (api_key_id uuid, account_id uuid, member_id uuid, role text, expires_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT k.id, k.account_id, k.member_id, m.role, k.expires_at
    FROM api_keys k JOIN members m ON m.account_id = k.account_id AND m.id = k.member_id
    WHERE k.token_hash = p_token_hash
      AND k.revoked_at IS NULL
      AND (k.expires_at IS NULL OR k.expires_at > now())
$$;

CREATE FUNCTION portcullis_find_member_for_login(p_email text)
RETURNS TABLE (member_id uuid, account_id uuid, password_hash text, role text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT m.id, m.account_id, m.password_hash, m.role
    FROM members m
    WHERE lower(m.email) = lower(p_email)
$$;

-- ---------------------------------------------------------------------------------------------
-- Row-level security (issue 4, second wall): on every tenant table, portcullis_app sees and writes
-- only rows of the account set for the transaction; with no account set it sees nothing (NULL
-- matches no row). Not FORCEd, so the owner (workers, snapshot publisher, migrations) is unaffected.
-- Policies on audit_events apply to access through the parent, the only access the role has.
-- ---------------------------------------------------------------------------------------------
CREATE POLICY tenant_isolation ON accounts TO portcullis_app
    USING (id = nullif(current_setting('portcullis.account_id', true), '')::uuid)
    WITH CHECK (id = nullif(current_setting('portcullis.account_id', true), '')::uuid);
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['members', 'api_keys', 'servers', 'tools', 'identities', 'policies',
                             'policy_versions', 'grants', 'approvals', 'admin_audit', 'config_changes',
                             'counters', 'audit_events', 'audit_chain_heads']
    LOOP
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I TO portcullis_app
            USING (account_id = nullif(current_setting('portcullis.account_id', true), '')::uuid)
            WITH CHECK (account_id = nullif(current_setting('portcullis.account_id', true), '')::uuid)$p$, t);
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    END LOOP;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Privileges of portcullis_app. Read-write on ordinary tables; append-only (SELECT, INSERT) on the
-- audit tables, policy versions and config_changes; the chain head may also move (UPDATE).
-- Nothing on audit partitions directly (see portcullis_ensure_audit_partition). Functions are not
-- executable by PUBLIC unless granted here. No default privileges: later migrations grant
-- explicitly, so a new audit-like table is never writable by accident.
-- ---------------------------------------------------------------------------------------------
GRANT USAGE ON SCHEMA public TO portcullis_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON
    accounts, members, api_keys, servers, tools, identities, policies, grants, approvals,
    workers, counters
    TO portcullis_app;
GRANT SELECT, INSERT ON policy_versions, config_changes, admin_audit, audit_events TO portcullis_app;
GRANT SELECT, INSERT, UPDATE ON audit_chain_heads TO portcullis_app;
GRANT SELECT ON audit_retention_log TO portcullis_app;
GRANT USAGE, SELECT ON SEQUENCE config_change_seq TO portcullis_app;

REVOKE ALL ON FUNCTION portcullis_ensure_audit_partition(date) FROM PUBLIC;
REVOKE ALL ON FUNCTION portcullis_drop_audit_partition(date, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION portcullis_find_api_key(bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION portcullis_find_member_for_login(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION portcullis_refuse_audit_change() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portcullis_ensure_audit_partition(date) TO portcullis_app;
GRANT EXECUTE ON FUNCTION portcullis_find_api_key(bytea) TO portcullis_app;
GRANT EXECUTE ON FUNCTION portcullis_find_member_for_login(text) TO portcullis_app;
