-- 0002_approval_effective_status: one definition of an approval's effective status (design.md §5.6).
--
-- A pending or approved request past its expires_at counts as expired before anyone marks it.
-- The control plane's API and the gateway's holders both read the status this way, so the rule
-- lives here once instead of in each one's SQL.
CREATE FUNCTION portcullis_approval_status(status text, expires_at timestamptz) RETURNS text
    LANGUAGE sql STABLE
    AS $$ SELECT CASE WHEN status IN ('pending', 'approved') AND expires_at <= now() THEN 'expired' ELSE status END $$;

REVOKE ALL ON FUNCTION portcullis_approval_status(text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portcullis_approval_status(text, timestamptz) TO portcullis_app;
