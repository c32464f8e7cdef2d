-- 0006_approval_request_rate: issue 10 item 18. A worker counts a grant's approval requests of the
-- last minute before it makes a new one (at most N per grant per minute); this index keeps that
-- count a short range scan however many approvals the grant has made before.
CREATE INDEX approvals_grant_requested_idx ON approvals (grant_id, requested_at);
