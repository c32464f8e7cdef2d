-- 0007_counter_leases: issue 11 item 1. A worker no longer writes the counter on every call: it
-- leases a block of units of a counter window and spends it locally, so `counters` now holds two
-- amounts per window:
--   count   units spent, as the workers have reported them (what GET /v1/usage and the simulation
--           show; a worker reports what it spent about once a second);
--   leased  units handed to workers and not yet reported spent or given back.
-- The invariant that keeps limits exact across workers is count + leased <= max at every lease:
-- a worker spends only units it holds. A worker that crashes takes its unspent units with it for
-- the rest of the window (they stay in `leased` until the sweeper deletes the row): that window
-- then under-admits, it never over-admits.
ALTER TABLE counters ADD COLUMN leased numeric NOT NULL DEFAULT 0 CHECK (leased >= 0);

-- The only statement a worker sends about counters, for a call that its local blocks cannot
-- cover (a lease) and for the periodic report of what it spent and gives back (a settlement).
-- p_items is a JSON array, one object per counter window, sorted by the caller so that two calls
-- lock shared rows in the same order:
--   account, scope, scope_id, counter, window, start_ms, end_ms, max  the window and its limit
--   spent     units to move from leased to count (negative after a release of reported units)
--   returned  units to take off leased (given back unspent)
--   need      units the call needs beyond what the worker holds (0: settlement only)
--   cap       the most units to lease beyond `need`
-- All or nothing over the items: if any item's room (max - count - leased, after its own
-- returned units) is below its need, no item is leased anything (settlements still apply) and
-- that item comes back `refused`. Otherwise each item gets need plus an eighth of the room left
-- beyond it, at most cap: blocks shrink as the allowance runs out, down to the need alone, so
-- units idle in other workers' blocks stay few when few remain.
-- synchronous_commit off for this transaction, as the per-call upsert before it had (losing the
-- last few ms of leases in a server crash is acceptable for rate limits); lock_timeout bounds the
-- wait for a row another call holds (issue 10 item 21). Also returns the database's clock for the
-- worker's clock-skew check (issue 10 item 16).
CREATE FUNCTION portcullis_lease_counters(p_items jsonb)
RETURNS TABLE (item integer, granted numeric, spent numeric, room numeric, refused boolean, database_now timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    entry record;
    held record;
    rooms numeric[] := ARRAY[]::numeric[];
    any_refused boolean := false;
    grant_amount numeric;
    now_at timestamptz := clock_timestamp();
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    PERFORM set_config('lock_timeout', '5s', true);
    -- Pass 1: lock every row in the caller's order (creating windows that are leased from for the
    -- first time) and find each item's room.
    FOR entry IN
        SELECT e.ord, x.*, to_timestamp(x.start_ms / 1000.0) AS window_start, to_timestamp(x.end_ms / 1000.0) AS window_end
        FROM jsonb_array_elements(p_items) WITH ORDINALITY AS e(value, ord), jsonb_to_record(e.value) AS x(
            account uuid, scope text, scope_id text, counter text, "window" text, start_ms bigint, end_ms bigint,
            max numeric, spent numeric, returned numeric, need numeric, cap numeric)
    LOOP
        IF entry.need > 0 THEN
            INSERT INTO public.counters (account_id, scope_kind, scope_id, counter, window_kind, window_start, window_end)
            VALUES (entry.account, entry.scope, entry.scope_id, entry.counter, entry."window", entry.window_start, entry.window_end)
            ON CONFLICT (account_id, scope_kind, scope_id, counter, window_kind, window_start) DO NOTHING;
        END IF;
        SELECT c.count, c.leased INTO held FROM public.counters c
        WHERE c.account_id = entry.account AND c.scope_kind = entry.scope AND c.scope_id = entry.scope_id
          AND c.counter = entry.counter AND c.window_kind = entry."window" AND c.window_start = entry.window_start
        FOR UPDATE;
        rooms := rooms || (entry.max - coalesce(held.count, 0) - greatest(coalesce(held.leased, 0) - entry.returned, 0));
        IF entry.need > 0 AND rooms[entry.ord] < entry.need THEN
            any_refused := true;
        END IF;
    END LOOP;
    -- Pass 2: settle every item, and lease unless one was refused.
    FOR entry IN
        SELECT e.ord, x.*, to_timestamp(x.start_ms / 1000.0) AS window_start
        FROM jsonb_array_elements(p_items) WITH ORDINALITY AS e(value, ord), jsonb_to_record(e.value) AS x(
            account uuid, scope text, scope_id text, counter text, "window" text, start_ms bigint,
            max numeric, spent numeric, returned numeric, need numeric, cap numeric)
    LOOP
        grant_amount := 0;
        IF entry.need > 0 AND NOT any_refused THEN
            grant_amount := entry.need + least(entry.cap, floor(greatest(rooms[entry.ord] - entry.need, 0) / 8));
        END IF;
        UPDATE public.counters c
        SET count = greatest(c.count + entry.spent, 0),
            leased = greatest(c.leased - entry.spent - entry.returned + grant_amount, 0)
        WHERE c.account_id = entry.account AND c.scope_kind = entry.scope AND c.scope_id = entry.scope_id
          AND c.counter = entry.counter AND c.window_kind = entry."window" AND c.window_start = entry.window_start
        RETURNING c.count, entry.max - c.count - c.leased INTO spent, room;
        item := entry.ord;
        granted := grant_amount;
        refused := entry.need > 0 AND rooms[entry.ord] < entry.need;
        database_now := now_at;
        RETURN NEXT;
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION portcullis_lease_counters(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portcullis_lease_counters(jsonb) TO portcullis_worker;
