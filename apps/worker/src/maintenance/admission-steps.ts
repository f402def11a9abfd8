import type { Db } from '@seatline/db'
import { type RedisClient, SCHEDULER_QUEUE_OPTIONS, type StepResult, waitingRoomChannel, type WaitingRoom } from '@seatline/queue'
import { Queue, Worker } from 'bullmq'
import { sql } from 'kysely'
import type { Logger } from 'pino'

const QUEUE = '{waiting-rooms}'
const EVERY_MS = 1_000

interface Figures {
  opens_at: Date
  closes_at: Date | null
  paused: boolean
  admit_per_minute: number
  admission_seconds: number
  places_left: number
  held: number
  shopping: number
  now: Date
}

/**
 * One admission step for one event (WaitingRoom.step), on the database's clock: the figures it
 * needs come from Postgres in one read (places left, seats held, which admitted buyers are
 * shopping), the step itself is one script in Redis, and every gateway hears the result.
 */
export async function stepEvent (db: Db, room: WaitingRoom, redis: RedisClient, prefix: string, eventId: string): Promise<StepResult | undefined> {
  const buyers = await room.admittedBuyers(eventId)
  const { rows: [figures] } = await sql<Figures>`select * from seatline_waiting_room_figures(${eventId}, ${buyers}::uuid[])`.execute(db)
  if (!figures?.admit_per_minute) return undefined
  const now = figures.now.getTime()
  const result = await room.step(eventId, {
    now,
    open: now >= figures.opens_at.getTime(),
    closed: figures.closes_at !== null && now >= figures.closes_at.getTime(),
    paused: figures.paused,
    // Nothing left that could come back: no place available, none held.
    soldOut: figures.places_left === 0 && figures.held === 0,
    placesLeft: figures.places_left,
    shopping: figures.shopping,
    admitPerMinute: figures.admit_per_minute,
    admissionMs: figures.admission_seconds * 1000,
  })
  await redis.publish(waitingRoomChannel(prefix), JSON.stringify(result))
  if (result.status !== 'waiting') {
    await db.updateTable('events').set({ waiting_room_settled_at: sql<Date>`now()` })
      .where('id', '=', eventId).where('waiting_room_settled_at', 'is', null).execute()
  }
  return result
}

export interface AdmissionSteps {
  /** Puts the schedule back (a Redis that lost its data forgot it). */
  restore (): Promise<void>
  close (): Promise<void>
}

/**
 * Every second, a step for each event with a waiting room that is not long closed, as a BullMQ
 * job scheduler: however many workers run, one runs each second's steps (global concurrency 1),
 * so admissions are decided in one place. A second lost to a stall is not made up (the step
 * counts at most one second's share).
 */
export async function startAdmissionSteps ({ redis, prefix, db, room, log }: { redis: RedisClient, prefix: string, db: Db, room: WaitingRoom, log: Logger }): Promise<AdmissionSteps> {
  const queue = new Queue(QUEUE, { connection: redis, prefix, ...SCHEDULER_QUEUE_OPTIONS })
  const schedule = async () => {
    await queue.setGlobalConcurrency(1)
    await queue.upsertJobScheduler('admission-steps', { every: EVERY_MS }, { name: 'admission-steps', opts: { removeOnComplete: true, removeOnFail: { count: 50 } } })
  }
  await schedule()
  const worker = new Worker(QUEUE, async () => {
    // A room that sold out or closed is stepped a day more (admissions running out, late readers),
    // as long as its keys in Redis live; then it is done.
    const { rows } = await sql<{ id: string }>`
      select id from events where admit_per_minute is not null
         and (sale_closes_at is null or sale_closes_at > now() - interval '1 day')
         and (waiting_room_settled_at is null or waiting_room_settled_at > now() - interval '1 day')`.execute(db)
    for (const { id } of rows) {
      try {
        await stepEvent(db, room, redis, prefix, id)
      } catch (err) {
        log.warn({ err, eventId: id }, 'admission step failed')
      }
    }
    return { events: rows.length }
  }, { connection: redis, prefix, concurrency: 1, runRetryDelay: 500 })
  worker.on('error', (err) => log.warn({ err }, 'admission worker error'))
  return {
    restore: schedule,
    async close () {
      await worker.close()
      await queue.close()
    },
  }
}
