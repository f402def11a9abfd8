-- Frozen. A worker runs a batch of one partition's bookings under one set of locks, so a seat can
-- be written twice under the same fencing number (booked by the first buyer in the batch, refused
-- to the next). Only a *newer* number than the holder's own means someone else has written.
create or replace function seatline_book_seats(
  p_request_id uuid, p_user_id uuid, p_event_id uuid, p_seat_ids text[], p_fences bigint[]
) returns jsonb language plpgsql as $fn$
declare
  v_prior record;
  v_locked int;
  v_refused jsonb;
  v_detail text;
  v_booking_id uuid;
  v_created timestamptz;
  v_result jsonb;
begin
  select status, result into v_prior from requests where id = p_request_id for update;
  if found and v_prior.status <> 'pending' then
    return v_prior.result::jsonb;
  end if;

  -- Lock in seat order, as every other command does, so two bookings cannot deadlock.
  perform 1 from seats where event_id = p_event_id and seat_id = any(p_seat_ids) order by seat_id for update;
  get diagnostics v_locked = row_count;

  if exists (select 1 from seats s join unnest(p_seat_ids, p_fences) f(seat_id, fence) on f.seat_id = s.seat_id
              where s.event_id = p_event_id and s.fence > f.fence) then
    raise exception 'a newer lock holder has written these seats' using errcode = 'SL409';
  end if;

  if v_locked < cardinality(p_seat_ids) then
    if not exists (select 1 from events where id = p_event_id) then
      v_result := jsonb_build_object('ok', false, 'code', 'EVENT_NOT_FOUND', 'detail', format('event %s does not exist', p_event_id));
    else
      select jsonb_build_object('ok', false, 'code', 'SEAT_NOT_FOUND',
               'detail', format('no seat %s in event %s', string_agg(id, ', '), p_event_id), 'seatIds', jsonb_agg(id))
        into v_result
        from unnest(p_seat_ids) id
       where not exists (select 1 from seats where event_id = p_event_id and seat_id = id);
    end if;
  else
    -- A hold past its expiry is available now, whether or not the sweeper has tidied it.
    select jsonb_agg(case when status = 'held'
                          then jsonb_build_object('seatId', seat_id, 'status', 'held',
                                 'retryAfterSeconds', greatest(1, ceil(extract(epoch from hold_expires_at - now()))::int))
                          else jsonb_build_object('seatId', seat_id, 'status', 'booked') end order by seat_id),
           string_agg(format('%s (%s)', seat_id, status), ', ' order by seat_id)
      into v_refused, v_detail
      from seats
     where event_id = p_event_id and seat_id = any(p_seat_ids)
       and (status = 'booked' or (status = 'held' and hold_expires_at > now()));

    if v_refused is not null then
      v_result := jsonb_build_object('ok', false, 'code', 'SEATS_UNAVAILABLE', 'detail', 'not available: ' || v_detail, 'seats', v_refused);
    else
      v_booking_id := gen_random_uuid();
      insert into bookings (id, event_id, user_id, status) values (v_booking_id, p_event_id, p_user_id, 'confirmed')
        returning created_at into v_created;
      insert into booking_seats (booking_id, event_id, seat_id) select v_booking_id, p_event_id, unnest(p_seat_ids);
      update seats s set status = 'booked', booking_id = v_booking_id, hold_id = null, hold_expires_at = null, fence = f.fence
        from unnest(p_seat_ids, p_fences) f(seat_id, fence)
       where s.event_id = p_event_id and s.seat_id = f.seat_id;
      v_result := jsonb_build_object('ok', true, 'kind', 'booking', 'booking', jsonb_build_object(
        'bookingId', v_booking_id, 'eventId', p_event_id, 'userId', p_user_id, 'status', 'confirmed',
        'seatIds', to_jsonb(p_seat_ids),
        'createdAt', to_char(v_created at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')));
    end if;
  end if;

  -- The gateway writes a request row only when it must answer before the result exists (202,
  -- idempotency keys); otherwise the first write of the record is this one.
  insert into requests (id, user_id, command, status, result, completed_at)
  values (p_request_id, p_user_id,
          jsonb_build_object('type', 'book-seats', 'requestId', p_request_id, 'userId', p_user_id, 'eventId', p_event_id, 'seatIds', to_jsonb(p_seat_ids)),
          case when (v_result ->> 'ok')::boolean then 'succeeded' else 'failed' end, v_result::json, now())
  on conflict (id) do update set status = excluded.status, result = excluded.result, completed_at = excluded.completed_at
   where requests.status = 'pending';
  return v_result;
end
$fn$;

-- Many bookings in one statement, in the given order, each exactly as seatline_book_seats would
-- run it alone: one round trip and one commit for a whole batch.
create or replace function seatline_book_seats_many(p_commands jsonb) returns jsonb language plpgsql as $fn$
declare
  v_command jsonb;
  v_results jsonb := '[]'::jsonb;
begin
  for v_command in select c from jsonb_array_elements(p_commands) with ordinality x(c, n) order by n loop
    v_results := v_results || jsonb_build_array(seatline_book_seats(
      (v_command ->> 'requestId')::uuid, (v_command ->> 'userId')::uuid, (v_command ->> 'eventId')::uuid,
      array(select s from jsonb_array_elements_text(v_command -> 'seatIds') with ordinality y(s, n) order by n),
      array(select f::bigint from jsonb_array_elements_text(v_command -> 'fences') with ordinality z(f, n) order by n)));
  end loop;
  return v_results;
end
$fn$;
