-- Frozen. A request answered 202 after it was sent has its record written by the gateway while
-- the run may be inside its transaction. Under T08 neither side saw the other's uncommitted work:
-- the run's update found no pending row to complete (the gateway's insert not yet committed) and
-- the gateway's look for what the run made found nothing (the run not yet committed), so the
-- record stayed pending until the sweeper re-sent the command 30 s later. Both now take one
-- transaction-scoped lock named by the request before they look: whichever comes second waits
-- for the first to commit, and then sees its work.

-- Any fixed number: it names these locks among the database's advisory locks (the migration
-- lock is 5347201, taken with one key, so the two never meet).
create function seatline_lock_request(p_request_id uuid) returns void
  language sql as $$
  select pg_advisory_xact_lock(5347202, hashtext(p_request_id::text))
$$;

create or replace function seatline_finish_command(p_command jsonb, p_result jsonb) returns boolean
  language plpgsql set plan_cache_mode = force_generic_plan as $fn$
declare
  v_id uuid := (p_command ->> 'requestId')::uuid;
begin
  if p_command ->> 'type' not in ('book-seats', 'book-section', 'hold-seats', 'confirm-hold') then
    return seatline_record_result(p_command, p_result);
  end if;
  perform seatline_lock_request(v_id);
  update requests set status = case when (p_result ->> 'ok')::boolean then 'succeeded' else 'failed' end,
                      result = p_result::json, completed_at = now()
   where id = v_id and status = 'pending';
  return found or not exists (select 1 from requests where id = v_id);
end
$fn$;

create or replace function seatline_record_pending(p_command jsonb) returns void
  language plpgsql as $fn$
declare
  v_result jsonb;
begin
  perform seatline_lock_request((p_command ->> 'requestId')::uuid);
  insert into requests (id, user_id, command) values ((p_command ->> 'requestId')::uuid, (p_command ->> 'userId')::uuid, p_command)
  on conflict (id) do nothing;
  v_result := seatline_prior_result(p_command);
  if v_result is not null then
    perform seatline_record_result(p_command, v_result);
  end if;
end
$fn$;
