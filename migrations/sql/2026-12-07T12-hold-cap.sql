-- Frozen. A cap on the seats one account may hold in one event at a time, whatever the
-- organiser's limit: one free account must not be able to hold a whole sale. Counting a buyer's
-- holds exactly needs their row locked, as the buyer limit does; so a command marked `holds`
-- locks its buyer's row on any event, not only on events with a limit. The lock order is
-- unchanged (event, buyer), so two jobs still cannot wait on each other's buyers.
create or replace function seatline_lock_buyers(p_commands jsonb) returns void
  language sql as $$
  insert into event_buyers (event_id, user_id)
  select distinct b.event_id, b.user_id
    from (select (c ->> 'eventId')::uuid as event_id, (c ->> 'userId')::uuid as user_id,
                 coalesce((c ->> 'holds')::boolean, false) as holds
            from jsonb_array_elements(p_commands) c) b
    join events e on e.id = b.event_id
   where e.max_seats_per_buyer is not null or b.holds
   order by b.event_id, b.user_id
  on conflict do nothing;
  select 1 from event_buyers
   where (event_id, user_id) in (select (c ->> 'eventId')::uuid, (c ->> 'userId')::uuid from jsonb_array_elements(p_commands) c)
   order by event_id, user_id
     for update;
$$;

-- The seats a buyer holds in an event now, by the clock when this runs (as seatline_buyer_places
-- counts them). Call it with the buyer's row locked.
create function seatline_held_places(p_event_id uuid, p_user_id uuid) returns integer
  language sql volatile as $$
  select coalesce(sum(cardinality(seat_ids)), 0)::int from holds
   where event_id = p_event_id and user_id = p_user_id and status = 'active' and expires_at > clock_timestamp()
$$;
