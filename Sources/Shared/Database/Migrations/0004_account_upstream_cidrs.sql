-- 0004_account_upstream_cidrs: upstream address ranges one account may use despite the SSRF guard
-- (issue 10 item 9), on top of the installation's --allow-upstream-cidr, so one tenant's allowance
-- is not every tenant's.
--
-- Only the operator sets it (`controlplane account-upstream-cidrs`, connected as the owner). The
-- admin API runs as portcullis_app, which may update other account columns but never this one: the
-- trigger refuses it whatever SQL reaches the database, so a tenant cannot grant itself a range.
ALTER TABLE accounts ADD COLUMN allowed_upstream_cidrs text[] NOT NULL DEFAULT '{}';

CREATE FUNCTION portcullis_refuse_tenant_upstream_cidrs() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_user = 'portcullis_app'
       AND NEW.allowed_upstream_cidrs IS DISTINCT FROM (CASE WHEN TG_OP = 'UPDATE' THEN OLD.allowed_upstream_cidrs ELSE '{}'::text[] END) THEN
        RAISE EXCEPTION 'accounts.allowed_upstream_cidrs is set by the operator only'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER accounts_upstream_cidrs_operator_only
    BEFORE INSERT OR UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION portcullis_refuse_tenant_upstream_cidrs();

REVOKE ALL ON FUNCTION portcullis_refuse_tenant_upstream_cidrs() FROM PUBLIC;
