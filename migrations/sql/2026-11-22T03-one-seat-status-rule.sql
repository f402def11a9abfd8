-- One home for each rule about seats and requests. Every reader and writer, in SQL or in the
-- services, goes through these definitions instead of spelling the rule out again.

-- A seat as buyers see it: a hold past its expiry is available the moment it expires, whether or
-- not the sweeper has tidied the row. Plain SQL functions, so the planner inlines them.
create function seatline_seat_status(p_status text, p_hold_expires_at timestamptz) returns text
  language sql stable as $$
  select case when p_status = 'held' and p_hold_expires_at <= now() then 'available' else p_status end
$$;

-- A hold as its owner sees it, by the same clock.
create function seatline_hold_status(p_status text, p_expires_at timestamptz) returns text
  language sql stable as $$
  select case when p_status = 'active' and p_expires_at <= now() then 'expired' else p_status end
$$;

-- Why one seat cannot be had, as a SEATS_UNAVAILABLE refusal lists it; null when it can.
create function seatline_refused_seat(p_seat_id text, p_status text, p_hold_expires_at timestamptz) returns jsonb
  language sql stable as $$
  select case seatline_seat_status(p_status, p_hold_expires_at)
           when 'available' then null
           when 'held' then jsonb_build_object('seatId', p_seat_id, 'status', 'held',
                              'retryAfterSeconds', greatest(1, ceil(extract(epoch from p_hold_expires_at - now()))::int))
           else jsonb_build_object('seatId', p_seat_id, 'status', p_status)
         end
$$;

-- Seats as every reader sees them.
create view seat_states as
select event_id, seat_id, section,
       seatline_seat_status(status, hold_expires_at) as status,
       case when seatline_seat_status(status, hold_expires_at) = 'held' then hold_expires_at end as hold_expires_at,
       case when seatline_seat_status(status, hold_expires_at) = 'held' then hold_id end as hold_id,
       booking_id,
       fence,
       seatline_refused_seat(seat_id, status, hold_expires_at) as refusal
  from seats;

-- Why a command on these seats cannot go ahead: EVENT_NOT_FOUND, SEAT_NOT_FOUND, or
-- SEATS_UNAVAILABLE listing each refused seat in seat order; null when every seat can be had.
-- Call it with the seats locked.
create function seatline_seats_refusal(p_event_id uuid, p_seat_ids text[]) returns jsonb
  language plpgsql stable as $fn$
declare
  v_found int;
  v_refused jsonb;
  v_detail text;
  v_missing text[];
begin
  select count(*), jsonb_agg(refusal order by seat_id) filter (where refusal is not null),
         string_agg(format('%s (%s)', seat_id, status), ', ' order by seat_id) filter (where refusal is not null)
    into v_found, v_refused, v_detail
    from seat_states
   where event_id = p_event_id and seat_id = any(p_seat_ids);
  if v_found < cardinality(p_seat_ids) then
    if not exists (select 1 from events where id = p_event_id) then
      return jsonb_build_object('ok', false, 'code', 'EVENT_NOT_FOUND', 'detail', format('event %s does not exist', p_event_id));
    end if;
    select array_agg(id order by n) into v_missing
      from unnest(p_seat_ids) with ordinality u(id, n)
     where not exists (select 1 from seats where event_id = p_event_id and seat_id = u.id);
    return jsonb_build_object('ok', false, 'code', 'SEAT_NOT_FOUND',
      'detail', format('no seat %s in event %s', array_to_string(v_missing, ', '), p_event_id), 'seatIds', to_jsonb(v_missing));
  end if;
  if v_refused is null then
    return null;
  end if;
  return jsonb_build_object('ok', false, 'code', 'SEATS_UNAVAILABLE', 'detail', 'not available: ' || v_detail, 'seats', v_refused);
end
$fn$;

-- A command's result, recorded in the same transaction as its effects. A result already there is
-- never replaced: false tells the caller that this run is a second one and must roll back.
create function seatline_record_result(p_command jsonb, p_result jsonb) returns boolean
  language sql as $$
  with written as (
    insert into requests (id, user_id, command, status, result, completed_at)
    values ((p_command ->> 'requestId')::uuid, (p_command ->> 'userId')::uuid, p_command,
            case when (p_result ->> 'ok')::boolean then 'succeeded' else 'failed' end, p_result::json, now())
    on conflict (id) do update set status = excluded.status, result = excluded.result, completed_at = excluded.completed_at
     where requests.status = 'pending'
    returning 1
  )
  select exists (select 1 from written)
$$;

-- The result of a command that already ran (a retried job, a stalled one run again), or null.
-- Locks the request's row either way, so two runs of one command take turns.
create function seatline_prior_result(p_request_id uuid) returns jsonb
  language sql as $$
  select case when status <> 'pending' then result::jsonb end from requests where id = p_request_id for update
$$;

drop function seatline_book_seats_many(jsonb);
drop function seatline_book_seats(uuid, uuid, uuid, text[], bigint[]);

-- The whole reserved-seat booking in one round trip: replay a recorded result, lock the seats,
-- refuse a newer lock holder's seats, refuse what is missing or taken, else book; record it.
-- p_fence is the fencing number of the caller's lock set.
create function seatline_book_seats(p_command jsonb, p_fence bigint) returns jsonb
  language plpgsql as $fn$
declare
  v_request_id uuid := (p_command ->> 'requestId')::uuid;
  v_user_id uuid := (p_command ->> 'userId')::uuid;
  v_event_id uuid := (p_command ->> 'eventId')::uuid;
  v_seat_ids text[] := array(select jsonb_array_elements_text(p_command -> 'seatIds'));
  v_booking_id uuid;
  v_created timestamptz;
  v_result jsonb;
begin
  v_result := seatline_prior_result(v_request_id);
  if v_result is not null then
    return v_result;
  end if;

  -- Lock every seat, in seat order as every other command does, so two bookings cannot
  -- deadlock. (PERFORM reads every row; an EXISTS would stop, and lock, at the first.)
  perform 1 from seats where event_id = v_event_id and seat_id = any(v_seat_ids) order by seat_id for update;
  if exists (select 1 from seats where event_id = v_event_id and seat_id = any(v_seat_ids) and fence > p_fence) then
    raise exception 'a newer lock holder has written these seats' using errcode = 'SL409';
  end if;

  v_result := seatline_seats_refusal(v_event_id, v_seat_ids);
  if v_result is null then
    v_booking_id := gen_random_uuid();
    insert into bookings (id, event_id, user_id, status) values (v_booking_id, v_event_id, v_user_id, 'confirmed')
      returning created_at into v_created;
    insert into booking_seats (booking_id, event_id, seat_id) select v_booking_id, v_event_id, unnest(v_seat_ids);
    update seats set status = 'booked', booking_id = v_booking_id, hold_id = null, hold_expires_at = null, fence = p_fence
     where event_id = v_event_id and seat_id = any(v_seat_ids);
    v_result := jsonb_build_object('ok', true, 'kind', 'booking', 'booking', jsonb_build_object(
      'bookingId', v_booking_id, 'eventId', v_event_id, 'userId', v_user_id, 'status', 'confirmed',
      'seatIds', p_command -> 'seatIds',
      'createdAt', to_char(v_created at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')));
  end if;

  if not seatline_record_result(p_command, v_result) then
    raise exception 'request % was recorded by another run', v_request_id using errcode = 'SL410';
  end if;
  return v_result;
end
$fn$;

-- Many bookings in one statement, in the given order, each exactly as seatline_book_seats runs
-- it alone: one round trip and one commit for a whole batch.
create function seatline_book_seats_many(p_commands jsonb, p_fence bigint) returns jsonb
  language sql as $$
  select coalesce(jsonb_agg(seatline_book_seats(c, p_fence) order by n), '[]'::jsonb)
    from jsonb_array_elements(p_commands) with ordinality x(c, n)
$$;
