-- Frozen. The waiting room: an event's admission rate and how long an admission lasts, and the
-- rule that a hold or booking on such an event needs a current admission, decided with the
-- sale's other rules in the command's transaction. The line itself lives in Redis (traffic
-- control, not truth); what the transaction checks is the admission the command carries.

alter table events
  add column admit_per_minute integer,
  add column admission_seconds integer,
  -- When the room sold out or closed for good: the admission step stops a day later.
  add column waiting_room_settled_at timestamptz,
  add constraint events_waiting_room_whole check ((admit_per_minute is null) = (admission_seconds is null)),
  add constraint events_admit_per_minute_range check (admit_per_minute between 1 and 100000),
  add constraint events_admission_seconds_range check (admission_seconds between 10 and 3600);
-- The admission step looks for the events with a waiting room every second.
create index events_waiting_room on events (waiting_room_settled_at) where admit_per_minute is not null;

-- The sale's rules (migration T07), now with the waiting room: on an event with one, a command
-- that takes seats must carry an admission (p_admitted_until, from the gateway) still running at
-- the moment it runs. Order: closed, paused, not open, not admitted, the buyer's limit.
create function seatline_sale_refusal(p_event_id uuid, p_user_id uuid, p_places integer, p_admitted_until timestamptz) returns jsonb
  language plpgsql set plan_cache_mode = force_generic_plan as $fn$
declare
  v_sale record;
  v_now timestamptz := clock_timestamp();
  v_current integer;
begin
  select sale_opens_at, sale_closes_at, sale_paused, max_seats_per_buyer, admit_per_minute into v_sale from events where id = p_event_id;
  if not found then
    return null;
  end if;
  if v_sale.sale_closes_at is not null and v_now >= v_sale.sale_closes_at then
    return jsonb_build_object('ok', false, 'code', 'SALE_CLOSED',
      'detail', format('the sale closed at %s', seatline_iso(v_sale.sale_closes_at)), 'closesAt', seatline_iso(v_sale.sale_closes_at));
  end if;
  if v_sale.sale_paused then
    return jsonb_build_object('ok', false, 'code', 'SALE_PAUSED', 'detail', 'the organiser has paused the sale; nothing was taken');
  end if;
  if v_now < v_sale.sale_opens_at then
    return jsonb_build_object('ok', false, 'code', 'SALE_NOT_OPEN',
      'detail', format('the sale opens at %s', seatline_iso(v_sale.sale_opens_at)), 'opensAt', seatline_iso(v_sale.sale_opens_at));
  end if;
  if v_sale.admit_per_minute is not null and (p_admitted_until is null or p_admitted_until <= v_now) then
    return jsonb_build_object('ok', false, 'code', 'NOT_ADMITTED',
      'detail', case when p_admitted_until is null then 'this event has a waiting room: join the queue and wait to be admitted'
                     else format('your admission ended at %s: join the queue again', seatline_iso(p_admitted_until)) end,
      'ticketStatus', case when p_admitted_until is null then null else 'expired' end);
  end if;
  if v_sale.max_seats_per_buyer is null then
    return null;
  end if;
  perform 1 from event_buyers where event_id = p_event_id and user_id = p_user_id for update;
  if not found then
    perform seatline_lock_buyers(jsonb_build_array(jsonb_build_object('eventId', p_event_id, 'userId', p_user_id)));
  end if;
  v_current := seatline_buyer_places(p_event_id, p_user_id);
  if v_current + p_places > v_sale.max_seats_per_buyer then
    return jsonb_build_object('ok', false, 'code', 'BUYER_LIMIT_REACHED',
      'detail', format('at most %s places per buyer in this event: you have %s, this asks for %s more', v_sale.max_seats_per_buyer, v_current, p_places),
      'limit', v_sale.max_seats_per_buyer, 'current', v_current);
  end if;
  return null;
end
$fn$;

-- The rules without an admission, for callers that have none (an event without a waiting room
-- refuses nothing for it).
create or replace function seatline_sale_refusal(p_event_id uuid, p_user_id uuid, p_places integer) returns jsonb
  language sql as $$
  select seatline_sale_refusal(p_event_id, p_user_id, p_places, null)
$$;

-- The reserved-seat booking (migration T08), passing the command's admission to the sale's rules.
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

  v_result := seatline_sale_refusal(v_event_id, v_user_id, cardinality(v_seat_ids), (p_command ->> 'admittedUntil')::timestamptz);
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

-- What the admission step needs of an event each second, in one read: its sale, the places left
-- (seats neither booked nor held, plus general admission), the seats held, and which of the
-- admitted buyers given have a running hold or a confirmed booking (they are shopping: their
-- admission is not an idle claim on what is left).
create function seatline_waiting_room_figures(p_event_id uuid, p_admitted_users uuid[]) returns table (
  opens_at timestamptz, closes_at timestamptz, paused boolean, admit_per_minute integer, admission_seconds integer,
  places_left integer, held integer, shopping integer, now timestamptz)
  language sql stable as $$
  select e.sale_opens_at, e.sale_closes_at, e.sale_paused, e.admit_per_minute, e.admission_seconds,
         (select count(*) from seats s where s.event_id = e.id and s.status <> 'booked'
            and seatline_seat_status(s.status, s.hold_expires_at) = 'available')::int
         + (select coalesce(sum(remaining), 0) from sections where event_id = e.id)::int,
         (select count(*) from seats s where s.event_id = e.id and s.status = 'held' and s.hold_expires_at > now())::int,
         (select count(*) from unnest(p_admitted_users) u(user_id)
           where exists (select 1 from bookings b where b.user_id = u.user_id and b.event_id = e.id and b.status = 'confirmed')
              or exists (select 1 from holds h where h.event_id = e.id and h.user_id = u.user_id and h.status = 'active' and h.expires_at > now()))::int,
         now()
    from events e where e.id = p_event_id
$$;
