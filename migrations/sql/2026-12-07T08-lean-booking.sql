-- Frozen. The booking path made cheaper, every guarantee kept. Measured with pgbench on batches of
-- 16 bookings (Postgres CPU per booking): 1.0–1.5 ms before, see the README's Benchmarks after.

-- 1. Plans. PL/pgSQL plans a statement with each call's values until it judges a generic plan as
--    good; for these statements it never did, and planning them cost more than running them
--    (seatline_seats_refusal: 0.27 ms a call with the values, 0.03 ms with one generic plan). Their
--    parameters are keys, for which the generic plan is the one index scan, provided each seat is
--    asked for by its whole key, one statement a seat: for `seat_id = any($2)`, or a join with
--    the array, the generic plan reads the whole event and filters it whenever the statistics say
--    an event has few seats (a new database, a table never analyzed): 2,000 rows a statement.
alter function seatline_sale_refusal(uuid, uuid, integer) set plan_cache_mode = force_generic_plan;

-- Why a command on these seats cannot go ahead, as migration T03 words it: EVENT_NOT_FOUND,
-- SEAT_NOT_FOUND (the missing seats in the order asked), or SEATS_UNAVAILABLE listing each refused
-- seat in seat order; null when every seat can be had. Each seat read by its key.
create or replace function seatline_seats_refusal(p_event_id uuid, p_seat_ids text[]) returns jsonb
  language plpgsql stable set plan_cache_mode = force_generic_plan as $fn$
declare
  v_seat text;
  v_status text;
  v_refusal jsonb;
  v_refused jsonb := '[]'::jsonb;
  v_details text[] := '{}';
  v_missing text[] := '{}';
begin
  foreach v_seat in array p_seat_ids loop
    select status, refusal into v_status, v_refusal from seat_states where event_id = p_event_id and seat_id = v_seat;
    if not found then
      v_missing := v_missing || v_seat;
    end if;
  end loop;
  if cardinality(v_missing) > 0 then
    if not exists (select 1 from events where id = p_event_id) then
      return jsonb_build_object('ok', false, 'code', 'EVENT_NOT_FOUND', 'detail', format('event %s does not exist', p_event_id));
    end if;
    return jsonb_build_object('ok', false, 'code', 'SEAT_NOT_FOUND',
      'detail', format('no seat %s in event %s', array_to_string(v_missing, ', '), p_event_id), 'seatIds', to_jsonb(v_missing));
  end if;
  foreach v_seat in array array(select unnest(p_seat_ids) order by 1) loop
    select status, refusal into v_status, v_refusal from seat_states where event_id = p_event_id and seat_id = v_seat;
    if v_refusal is not null then
      v_refused := v_refused || jsonb_build_array(v_refusal);
      v_details := v_details || format('%s (%s)', v_seat, v_status);
    end if;
  end loop;
  if cardinality(v_details) = 0 then
    return null;
  end if;
  return jsonb_build_object('ok', false, 'code', 'SEATS_UNAVAILABLE', 'detail', 'not available: ' || array_to_string(v_details, ', '), 'seats', v_refused);
end
$fn$;

-- 2. Three indexes on bookings instead of four: a buyer's bookings by event (the buyer limit, "my
--    bookings" with or without an event, newest first by a sort of one buyer's few) and an
--    event's bookings in order (the organiser's list and CSV).
drop index bookings_user_created_at_id;
drop index bookings_event_buyer;
create index bookings_user_event on bookings (user_id, event_id, created_at, id);

-- 3. What a command made carries its request id: a booking's or a hold's id is the id of the
--    request that made it. An earlier run of the command is then found by that key, and a plain
--    request (no Idempotency-Key, answered at once) needs no record of its own: its result is the
--    booking or hold itself, and a refusal changed nothing worth replaying. A request someone may
--    poll (keyed, async, or answered 202) still has its record, completed by the run.

-- An earlier run's result: the request's record when it has one (locked, so two runs of one
-- command take turns), else what the command made, as the command's reply gave it; null when it
-- has not run. The commands that make something lock what they change first, so a run that
-- waited for another sees its work here.
create function seatline_prior_result(p_command jsonb) returns jsonb
  language plpgsql set plan_cache_mode = force_generic_plan as $fn$
declare
  v_id uuid := (p_command ->> 'requestId')::uuid;
  v_result jsonb;
begin
  select case when status <> 'pending' then result::jsonb end into v_result from requests where id = v_id for update;
  if v_result is not null then
    return v_result;
  end if;
  case p_command ->> 'type'
    when 'book-seats', 'confirm-hold' then
      select jsonb_build_object('ok', true, 'kind', 'booking', 'booking', jsonb_build_object(
               'bookingId', id, 'eventId', event_id, 'userId', user_id, 'status', 'confirmed',
               'seatIds', p_command -> 'seatIds', 'createdAt', seatline_iso(created_at)))
        into v_result from bookings where id = v_id;
    when 'book-section' then
      select jsonb_build_object('ok', true, 'kind', 'booking', 'booking', jsonb_build_object(
               'bookingId', id, 'eventId', event_id, 'userId', user_id, 'status', 'confirmed',
               'sectionId', section_id, 'quantity', quantity, 'createdAt', seatline_iso(created_at)))
        into v_result from bookings where id = v_id;
    when 'hold-seats' then
      select jsonb_build_object('ok', true, 'kind', 'hold', 'hold', jsonb_build_object(
               'holdId', id, 'eventId', event_id, 'seatIds', to_jsonb(seat_ids), 'expiresAt', seatline_iso(expires_at)))
        into v_result from holds where id = v_id;
    else
      null;
  end case;
  return v_result;
end
$fn$;

-- A run's result, with its effects: a command that makes something completes its request's
-- record if one waits (pending), and writes none otherwise; the others record it as before
-- (seatline_record_result). False when another run has recorded it already: this one must roll back.
create function seatline_finish_command(p_command jsonb, p_result jsonb) returns boolean
  language plpgsql set plan_cache_mode = force_generic_plan as $fn$
declare
  v_id uuid := (p_command ->> 'requestId')::uuid;
begin
  if p_command ->> 'type' not in ('book-seats', 'book-section', 'hold-seats', 'confirm-hold') then
    return seatline_record_result(p_command, p_result);
  end if;
  update requests set status = case when (p_result ->> 'ok')::boolean then 'succeeded' else 'failed' end,
                      result = p_result::json, completed_at = now()
   where id = v_id and status = 'pending';
  return found or not exists (select 1 from requests where id = v_id);
end
$fn$;

-- The record a poller reads, for a request answered 202 after it was sent: pending, or at once
-- the result of a run that finished before the record was written (it wrote none).
create function seatline_record_pending(p_command jsonb) returns void
  language plpgsql as $fn$
declare
  v_result jsonb;
begin
  insert into requests (id, user_id, command) values ((p_command ->> 'requestId')::uuid, (p_command ->> 'userId')::uuid, p_command)
  on conflict (id) do nothing;
  v_result := seatline_prior_result(p_command);
  if v_result is not null then
    perform seatline_record_result(p_command, v_result);
  end if;
end
$fn$;

-- The reserved-seat booking: the seats locked, read and checked in one statement; an earlier run
-- looked for after the lock; the booking made under the request's id; no record unless one waits.
create or replace function seatline_book_seats(p_command jsonb, p_fence bigint) returns jsonb
  language plpgsql set plan_cache_mode = force_generic_plan as $fn$
declare
  v_request_id uuid := (p_command ->> 'requestId')::uuid;
  v_user_id uuid := (p_command ->> 'userId')::uuid;
  v_event_id uuid := (p_command ->> 'eventId')::uuid;
  v_seat_ids text[] := array(select jsonb_array_elements_text(p_command -> 'seatIds'));
  v_seat text;
  v_seat_row record;
  v_found integer := 0;
  v_stale boolean := false;
  v_taken integer := 0;
  v_created timestamptz;
  v_result jsonb;
begin
  -- Every seat locked by its key, in seat order as every other command does, so two cannot deadlock.
  foreach v_seat in array array(select unnest(v_seat_ids) order by 1) loop
    select fence, status, hold_expires_at into v_seat_row from seats where event_id = v_event_id and seat_id = v_seat for update;
    if found then
      v_found := v_found + 1;
      v_stale := v_stale or v_seat_row.fence > p_fence;
      if seatline_seat_status(v_seat_row.status, v_seat_row.hold_expires_at) <> 'available' then
        v_taken := v_taken + 1;
      end if;
    end if;
  end loop;

  v_result := seatline_prior_result(p_command);
  if v_result is not null then
    return v_result;
  end if;
  if v_stale then
    raise exception 'a newer lock holder has written these seats' using errcode = 'SL409';
  end if;

  v_result := seatline_sale_refusal(v_event_id, v_user_id, cardinality(v_seat_ids));
  if v_result is null and (v_found < cardinality(v_seat_ids) or v_taken > 0) then
    v_result := seatline_seats_refusal(v_event_id, v_seat_ids);
  end if;
  if v_result is null then
    insert into bookings (id, event_id, user_id, status, quantity) values (v_request_id, v_event_id, v_user_id, 'confirmed', cardinality(v_seat_ids))
      returning created_at into v_created;
    insert into booking_seats (booking_id, event_id, seat_id) select v_request_id, v_event_id, unnest(v_seat_ids);
    foreach v_seat in array v_seat_ids loop
      update seats set status = 'booked', booking_id = v_request_id, hold_id = null, hold_expires_at = null, fence = p_fence
       where event_id = v_event_id and seat_id = v_seat;
    end loop;
    v_result := jsonb_build_object('ok', true, 'kind', 'booking', 'booking', jsonb_build_object(
      'bookingId', v_request_id, 'eventId', v_event_id, 'userId', v_user_id, 'status', 'confirmed',
      'seatIds', p_command -> 'seatIds', 'createdAt', seatline_iso(v_created)));
  end if;

  if not seatline_finish_command(p_command, v_result) then
    raise exception 'request % was recorded by another run', v_request_id using errcode = 'SL410';
  end if;
  return v_result;
end
$fn$;

drop function seatline_prior_result(uuid);
