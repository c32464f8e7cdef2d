-- 0005_account_limits_and_member_emails (issue 10 items 15 and 23).
--
-- Item 15: every account is bounded, so one tenant cannot fill the database or every worker's
-- snapshot. The bounds live here, in one row the control plane writes at start from its flags
-- (--max-servers-per-account ...), and are checked by triggers: gateway workers create approvals,
-- so a check in the control plane alone would not bind them. Each check takes a transaction-scoped
-- advisory lock per (table, account) first, so two concurrent inserts cannot both pass at N-1.
CREATE TABLE account_limits (
    singleton          boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    servers            integer NOT NULL DEFAULT 100  CHECK (servers > 0),
    tools_per_server   integer NOT NULL DEFAULT 1000 CHECK (tools_per_server > 0),
    policies           integer NOT NULL DEFAULT 500  CHECK (policies > 0),
    grants             integer NOT NULL DEFAULT 5000 CHECK (grants > 0),
    identities         integer NOT NULL DEFAULT 5000 CHECK (identities > 0),
    pending_approvals  integer NOT NULL DEFAULT 1000 CHECK (pending_approvals > 0)
);
INSERT INTO account_limits DEFAULT VALUES;
-- Discovery (as portcullis_app) reads tools_per_server to refuse an over-long list whole.
GRANT SELECT ON account_limits TO portcullis_app;

-- TG_ARGV[0]: the account_limits column; TG_ARGV[1]: which existing rows count, as a condition on
-- the table's rows `t` that may refer to the new row as `($1)`. Raises SQLSTATE 54000
-- (program_limit_exceeded) with the message `account limit reached: <column> (<bound>)`, which
-- the control plane turns into a problem naming the limit (LimitReachedError).
CREATE FUNCTION portcullis_enforce_account_limit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    bound integer;
    used  bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('account_limit:' || TG_TABLE_NAME), hashtext(NEW.account_id::text));
    EXECUTE format('SELECT %I FROM account_limits', TG_ARGV[0]) INTO bound;
    EXECUTE format('SELECT count(*) FROM %I t WHERE t.account_id = ($1).account_id AND (%s)', TG_TABLE_NAME, TG_ARGV[1])
        INTO used USING NEW;
    IF used >= bound THEN
        RAISE EXCEPTION USING ERRCODE = 'program_limit_exceeded',
            MESSAGE = format('account limit reached: %s (%s)', TG_ARGV[0], bound);
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION portcullis_enforce_account_limit() FROM PUBLIC;

CREATE TRIGGER servers_account_limit BEFORE INSERT ON servers
    FOR EACH ROW EXECUTE FUNCTION portcullis_enforce_account_limit('servers', 'true');
-- A tool the upstream stopped listing keeps its row but no longer counts.
CREATE TRIGGER tools_account_limit BEFORE INSERT ON tools
    FOR EACH ROW EXECUTE FUNCTION portcullis_enforce_account_limit('tools_per_server', 't.server_id = ($1).server_id AND t.removed_at IS NULL');
CREATE TRIGGER policies_account_limit BEFORE INSERT ON policies
    FOR EACH ROW EXECUTE FUNCTION portcullis_enforce_account_limit('policies', 't.deleted_at IS NULL');
CREATE TRIGGER grants_account_limit BEFORE INSERT ON grants
    FOR EACH ROW EXECUTE FUNCTION portcullis_enforce_account_limit('grants', 't.revoked_at IS NULL');
CREATE TRIGGER identities_account_limit BEFORE INSERT ON identities
    FOR EACH ROW EXECUTE FUNCTION portcullis_enforce_account_limit('identities', 'true');
CREATE TRIGGER approvals_account_limit BEFORE INSERT ON approvals
    FOR EACH ROW EXECUTE FUNCTION portcullis_enforce_account_limit('pending_approvals',
        'portcullis_approval_status(t.status, t.expires_at) = ''pending''');

-- Item 23: "a member with this email already exists" for an email of another account told any
-- admin which emails have accounts elsewhere. Emails are now unique per account; login finds the
-- member by email and password (or the account's slug when given), see LoginController.
DROP INDEX members_email_key;
CREATE UNIQUE INDEX members_account_email_key ON members (account_id, lower(email));
CREATE INDEX members_email_idx ON members (lower(email));

DROP FUNCTION portcullis_find_member_for_login(text);
CREATE FUNCTION portcullis_find_members_for_login(p_email text, p_account_slug text, p_limit bigint)
RETURNS TABLE (member_id uuid, account_id uuid, password_hash text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT m.id, m.account_id, m.password_hash
    FROM members m JOIN accounts a ON a.id = m.account_id
    WHERE lower(m.email) = lower(p_email) AND (p_account_slug IS NULL OR a.slug = p_account_slug)
    ORDER BY m.created_at, m.id
    LIMIT p_limit
$$;
REVOKE ALL ON FUNCTION portcullis_find_members_for_login(text, text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portcullis_find_members_for_login(text, text, bigint) TO portcullis_app;

-- Signup still answers 409 for an email that has a member anywhere: an installation-wide
-- identity for self-service accounts, and signup is rate-limited per address and per email.
CREATE FUNCTION portcullis_email_registered(p_email text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM members WHERE lower(email) = lower(p_email))
$$;
REVOKE ALL ON FUNCTION portcullis_email_registered(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portcullis_email_registered(text) TO portcullis_app;
