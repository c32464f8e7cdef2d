-- 0008_counter_leases_wait_for_sync_standby: issue 13 item 5. 0007's lease function committed with
-- synchronous_commit off, which also skips waiting for a synchronous standby: a lease (or a
-- settlement) could return to the worker before the standby had it, and a failover to that standby
-- then forgot units the worker goes on spending, so more than `max` calls were allowed in total.
-- Now the function lowers synchronous_commit only on a server with no synchronous standby (where a
-- crash may still lose the last few ms of leases, as 0007 accepted); with one, a lease commits as
-- the server is configured (synchronous_commit on, by default: it waits for the standby's flush).
-- The function is 0007's otherwise, unchanged; CREATE OR REPLACE keeps its grants.
CREATE OR REPLACE FUNCTION portcullis_lease_counters(p_items jsonb)
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
    IF current_setting('synchronous_standby_names') = '' THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
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
