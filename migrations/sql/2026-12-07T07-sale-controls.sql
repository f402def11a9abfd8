-- Frozen. Sale controls: an organiser's sale window, pause and buyer limit are event state, and
-- the rules that apply them live here, once, for the booking function and the TypeScript commands.

alter table events
  add column sale_opens_at timestamptz not null default now(),
  add column sale_closes_at timestamptz,
  add column sale_paused boolean not null default false,
  add column max_seats_per_buyer integer,
  add constraint events_max_seats_per_buyer_range check (max_seats_per_buyer between 1 and 100),
  add constraint events_sale_closes_after_opens check (sale_closes_at is null or sale_closes_at > sale_opens_at);
-- Events made before sale controls were on sale from their creation.
update events set sale_opens_at = created_at;
-- GET /v1/events?organiser=me, newest first.
create index events_organiser on events (created_by, created_at, id);

-- A booking's places, whatever it booked: its seats, or its general-admission quantity. The buyer
-- limit and the sales report count places from here.
update bookings b set quantity = (select count(*) from booking_seats s where s.booking_id = b.id)
 where section_id is null;
-- A buyer's bookings in an event (the limit, the buyer count), and an event's bookings in order
-- (the organiser's list and CSV). The second serves everything the old event_id index did.
drop index bookings_event_id;
create index bookings_event_buyer on bookings (event_id, user_id);
create index bookings_event_created on bookings (event_id, created_at, id);
-- A buyer's running holds in an event.
create index holds_active_buyer on holds (event_id, user_id) where status = 'active';
-- "Sold out" without counting every seat: an event is sold out when no seat is left unbooked. A
-- booking moves a seat out of this index, so the hot path pays nothing for it.
create index seats_unbooked on seats (event_id) where status <> 'booked';

-- One row per buyer and limited event: the lock that makes that buyer's commands take turns,
-- whatever partitions they run on. Nothing but a lock: no foreign keys, whose checks would cost
-- every buyer's first command two more row locks (events and users are never deleted).
create table event_buyers (
  event_id uuid not null,
  user_id uuid not null,
  primary key (event_id, user_id)
);

-- A hold's status at a given moment. Reads use seatline_hold_status (the transaction's clock); the
-- buyer limit and confirmations use the clock at the moment they look (see seatline_buyer_places).
create function seatline_hold_status_at(p_status text, p_expires_at timestamptz, p_at timestamptz) returns text
  language sql immutable as $$
  select case when p_status = 'active' and p_expires_at <= p_at then 'expired' else p_status end
$$;

-- The places a buyer has in an event: their confirmed bookings' places plus their running holds'
-- seats. A hold stops counting the moment it expires, by the clock when this runs rather than when
-- the transaction began: the buyer's commands take turns on the buyer's row, so each one looks
-- later than the one before it, and a hold one of them saw expire can no longer be confirmed
-- (confirm-hold reads the same clock). Call it with the buyer's row locked (seatline_lock_buyers).
create function seatline_buyer_places(p_event_id uuid, p_user_id uuid) returns integer
  language sql volatile as $$
  select (select coalesce(sum(quantity), 0) from bookings
           where event_id = p_event_id and user_id = p_user_id and status = 'confirmed')::int
       + (select coalesce(sum(cardinality(seat_ids)), 0) from holds
           where event_id = p_event_id and user_id = p_user_id and status = 'active' and expires_at > clock_timestamp())::int
$$;

-- Locks the row of every buyer of these commands ([{ eventId, userId }, …]) whose event has a buyer
-- limit, creating the rows that are missing, in (event, buyer) order. A job calls it before it
-- touches any seat, so two jobs meet their buyers in the same order and cannot deadlock; a buyer's
-- row stays locked until the job commits. Rows this transaction holds already cost nothing.
-- Two statements, each in that order: new rows are inserted (a concurrent insert of the same row
-- waits for this one to end), then every row is locked (ORDER BY comes before FOR UPDATE). A key
-- one job locks in the second step it has passed in the first, so no job can hold a new row
-- another is still to lock and also wait for that one.
create function seatline_lock_buyers(p_commands jsonb) returns void
  language sql as $$
  insert into event_buyers (event_id, user_id)
  select distinct b.event_id, b.user_id
    from (select (c ->> 'eventId')::uuid as event_id, (c ->> 'userId')::uuid as user_id from jsonb_array_elements(p_commands) c) b
    join events e on e.id = b.event_id
   where e.max_seats_per_buyer is not null
   order by b.event_id, b.user_id
  on conflict do nothing;
  select 1 from event_buyers
   where (event_id, user_id) in (select (c ->> 'eventId')::uuid, (c ->> 'userId')::uuid from jsonb_array_elements(p_commands) c)
   order by event_id, user_id
     for update;
$$;

create function seatline_iso(p_at timestamptz) returns text
  language sql immutable as $$
  select to_char(p_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- Why this buyer may not take p_places more places in the event at this moment, or null: the sale
-- has closed, is paused, has not opened, or the buyer would pass their limit. Decided by the clock
-- when the command runs, however long it waited in line. Null for an unknown event: the seat or
-- section refusal names it.
create function seatline_sale_refusal(p_event_id uuid, p_user_id uuid, p_places integer) returns jsonb
  language plpgsql as $fn$
declare
  v_sale record;
  v_now timestamptz := clock_timestamp();
  v_current integer;
begin
  select sale_opens_at, sale_closes_at, sale_paused, max_seats_per_buyer into v_sale from events where id = p_event_id;
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
  if v_sale.max_seats_per_buyer is null then
    return null;
  end if;
  -- Held already since the job locked its buyers; taken here if the limit was set since.
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

-- The sale's status as every reader sees it: closed, sold out (no seat left unbooked and no
-- general-admission place left), paused, scheduled (before opening) or open.
create function seatline_sale_status(p_event_id uuid, p_opens_at timestamptz, p_closes_at timestamptz, p_paused boolean) returns text
  language sql stable as $$
  select case
           when p_closes_at is not null and now() >= p_closes_at then 'closed'
           when not exists (select 1 from seats where event_id = p_event_id and status <> 'booked')
            and not exists (select 1 from sections where event_id = p_event_id and remaining > 0) then 'sold-out'
           when p_paused then 'paused'
           when now() < p_opens_at then 'scheduled'
           else 'open'
         end
$$;

-- The reserved-seat booking, now also refused by the sale's rules (after the seats are locked and
-- before their availability), and recording its places.
create or replace function seatline_book_seats(p_command jsonb, p_fence bigint) returns jsonb
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

  v_result := coalesce(seatline_sale_refusal(v_event_id, v_user_id, cardinality(v_seat_ids)), seatline_seats_refusal(v_event_id, v_seat_ids));
  if v_result is null then
    v_booking_id := gen_random_uuid();
    insert into bookings (id, event_id, user_id, status, quantity) values (v_booking_id, v_event_id, v_user_id, 'confirmed', cardinality(v_seat_ids))
      returning created_at into v_created;
    insert into booking_seats (booking_id, event_id, seat_id) select v_booking_id, v_event_id, unnest(v_seat_ids);
    update seats set status = 'booked', booking_id = v_booking_id, hold_id = null, hold_expires_at = null, fence = p_fence
     where event_id = v_event_id and seat_id = any(v_seat_ids);
    v_result := jsonb_build_object('ok', true, 'kind', 'booking', 'booking', jsonb_build_object(
      'bookingId', v_booking_id, 'eventId', v_event_id, 'userId', v_user_id, 'status', 'confirmed',
      'seatIds', p_command -> 'seatIds',
      'createdAt', seatline_iso(v_created)));
  end if;

  if not seatline_record_result(p_command, v_result) then
    raise exception 'request % was recorded by another run', v_request_id using errcode = 'SL410';
  end if;
  return v_result;
end
$fn$;

-- A batch: its buyers locked first, in order, then each booking as seatline_book_seats runs it alone.
create or replace function seatline_book_seats_many(p_commands jsonb, p_fence bigint) returns jsonb
  language sql as $$
  select seatline_lock_buyers(p_commands);
  select coalesce(jsonb_agg(seatline_book_seats(c, p_fence) order by n), '[]'::jsonb)
    from jsonb_array_elements(p_commands) with ordinality x(c, n)
$$;
