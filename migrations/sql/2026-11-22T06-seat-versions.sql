-- Every state a seat is seen in has a version that only grows, so that a live client can merge
-- a stream of changes with a seat list read at any moment: per seat, the higher version wins.
-- A command writes its lock set's fencing number into the seat (higher than any earlier
-- writer's), and a hold that expires is one step later than the held state it ends:
--   version = 2 × fence, + 1 once a hold on the seat has expired.
-- The sweeper therefore keeps hold_expires_at when it tidies an expired hold, and the next
-- command to write the seat clears it (writing a higher fence).
create or replace view seat_states as
select event_id, seat_id, section,
       seatline_seat_status(status, hold_expires_at) as status,
       case when seatline_seat_status(status, hold_expires_at) = 'held' then hold_expires_at end as hold_expires_at,
       case when seatline_seat_status(status, hold_expires_at) = 'held' then hold_id end as hold_id,
       booking_id,
       fence,
       seatline_refused_seat(seat_id, status, hold_expires_at) as refusal,
       2 * fence + case when hold_expires_at <= now() then 1 else 0 end as version
  from seats;
