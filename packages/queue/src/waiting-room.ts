import { randomBytes, randomInt } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { TicketStatus } from '@seatline/contracts'
import { createBlockingRedis, type RedisClient, type RedisTarget } from './redis.ts'

const script = (name: string) => readFileSync(new URL(`./scripts/${name}`, import.meta.url), 'utf8')
const VIEW = script('wr-view.lua')
const JOIN = VIEW + script('wr-join-6.lua')
const TICKET = VIEW + script('wr-ticket-6.lua')
const STEP = script('wr-step-6.lua')

type EventStatus = 'waiting' | 'sold-out' | 'closed'

/** A ticket as stored, read at one moment. */
export interface StoredTicket {
  ticketId: string
  eventId: string
  userId: string
  status: TicketStatus
  joinedAt: number
  /** 0 = next, while waiting. */
  rank?: number
  admittedAt?: number
  admittedUntil?: number
  /** Admissions so far: a waiting ticket's position is its rank at a read, less those admitted since. */
  served: number
  /** Places neither booked nor held, as of the last admission step. */
  seatsAvailable: number
}

export type JoinOutcome = 'new' | 'rejoined' | 'existing'

export interface StepInput {
  now: number
  open: boolean
  closed: boolean
  paused: boolean
  soldOut: boolean
  placesLeft: number
  shopping: number
  admitPerMinute: number
  admissionMs: number
}

export interface StepResult {
  eventId: string
  status: EventStatus
  served: number
  waiting: number
  admitted: number
  expired: number
  seatsAvailable: number
  /** Tickets admitted by this step, and those whose admission ran out. */
  admittedNow: string[]
  endedNow: string[]
  at: number
  admittedUntil: number
}

interface Scripts {
  seatlineWaitingRoomJoin (...keysThenArgs: string[]): Promise<[string, RawView | null]>
  seatlineWaitingRoomTicket (...keysThenArgs: string[]): Promise<RawView | null>
  seatlineWaitingRoomStep (...keysThenArgs: string[]): Promise<[EventStatus, number, number, number, number, string[], string[]]>
}
type RawView = [string, string, string | null, number | null, number, string | null, string, string | null]

/**
 * A ticket id names its event (so the stream, which has only the ticket, finds the event's keys)
 * and 96 random bits (so it cannot be guessed).
 */
export function ticketIdFor (eventId: string): string {
  return Buffer.concat([Buffer.from(eventId.replaceAll('-', ''), 'hex'), randomBytes(12)]).toString('base64url')
}

/** The event a ticket id names, or undefined for anything that is no ticket id. */
export function eventOfTicket (ticketId: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{38}$/.test(ticketId)) return undefined
  const hex = Buffer.from(ticketId, 'base64url').subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/**
 * An event's waiting room in Redis: traffic control, not truth (the sale's rules are decided in
 * the command's transaction). Every key of an event shares its hash tag, so a Redis Cluster keeps
 * them in one slot and each script runs on one node:
 *   line      sorted set, the waiting tickets in order (early joiners by random score, then arrival)
 *   tickets   hash, ticket -> "userId|joinedAt[|admittedAt]"
 *   buyers    hash, userId -> ticket (one place per buyer)
 *   admitted  sorted set, ticket -> admittedUntil (ms)
 *   expired   set, tickets whose admission ran out
 *   state     hash: status, served (admissions so far), seats, seq, carry, last
 */
export class WaitingRoom {
  readonly #redis: RedisClient
  readonly #prefix: string

  constructor (redis: RedisClient, prefix: string) {
    redis.defineCommand('seatlineWaitingRoomJoin', { numberOfKeys: 6, lua: JOIN })
    redis.defineCommand('seatlineWaitingRoomTicket', { numberOfKeys: 6, lua: TICKET })
    redis.defineCommand('seatlineWaitingRoomStep', { numberOfKeys: 6, lua: STEP })
    this.#redis = redis
    this.#prefix = prefix
  }

  #keys (eventId: string): string[] {
    const base = `${this.#prefix}:{wr:${eventId}}`
    return ['line', 'tickets', 'buyers', 'admitted', 'expired', 'state'].map((k) => `${base}:${k}`)
  }

  get #scripts (): Scripts {
    return this.#redis as unknown as Scripts
  }

  /** Joins the line (before the opening: at a random place among the early joiners). */
  async join (eventId: string, userId: string, early: boolean, now = Date.now()): Promise<{ outcome: JoinOutcome | 'sold-out' | 'closed', ticket?: StoredTicket }> {
    // A uniform score in [0, 1) from 52 random bits: the shuffle of the early joiners.
    const score = String(randomInt(2 ** 26) * 2 ** -26 + randomInt(2 ** 26) * 2 ** -52)
    const [outcome, raw] = await this.#scripts.seatlineWaitingRoomJoin(...this.#keys(eventId), userId, ticketIdFor(eventId), String(now), early ? '1' : '0', score)
    return { outcome: outcome as JoinOutcome | 'sold-out' | 'closed', ...(raw ? { ticket: toTicket(eventId, raw, now) } : {}) }
  }

  async ticket (ticketId: string, now = Date.now()): Promise<StoredTicket | undefined> {
    const eventId = eventOfTicket(ticketId)
    if (!eventId) return undefined
    const raw = await this.#scripts.seatlineWaitingRoomTicket(...this.#keys(eventId), ticketId, '')
    return raw ? toTicket(eventId, raw, now) : undefined
  }

  async ticketOf (eventId: string, userId: string, now = Date.now()): Promise<StoredTicket | undefined> {
    const raw = await this.#scripts.seatlineWaitingRoomTicket(...this.#keys(eventId), '', userId)
    return raw ? toTicket(eventId, raw, now) : undefined
  }

  /**
   * The places of these waiting tickets now (0 = next) and the admissions so far, read together:
   * a stream reads its ticket's place once, then counts the admissions since.
   */
  async ranks (eventId: string, ticketIds: readonly string[]): Promise<{ ranks: Map<string, number>, served: number }> {
    const [line, , , , , state] = this.#keys(eventId)
    const pipeline = this.#redis.pipeline()
    for (const ticketId of ticketIds) pipeline.zrank(line!, ticketId)
    pipeline.hget(state!, 'served')
    const replies = await pipeline.exec() ?? []
    const ranks = new Map<string, number>()
    ticketIds.forEach((ticketId, i) => {
      const rank = replies[i]?.[1]
      if (typeof rank === 'number') ranks.set(ticketId, rank)
    })
    return { ranks, served: Number(replies.at(-1)?.[1] ?? 0) }
  }

  /** The buyers of the admissions running now: the step asks Postgres which of them are shopping. */
  async admittedBuyers (eventId: string, now = Date.now()): Promise<string[]> {
    const [, tickets, , admitted] = this.#keys(eventId)
    const ticketIds = await this.#redis.zrangebyscore(admitted!, `(${now}`, '+inf')
    if (ticketIds.length === 0) return []
    const infos = await this.#redis.hmget(tickets!, ...ticketIds)
    return infos.flatMap((info) => (info ? [info.split('|')[0]!] : []))
  }

  async step (eventId: string, input: StepInput): Promise<StepResult> {
    const flag = (b: boolean) => (b ? '1' : '0')
    const [status, served, waiting, admitted, expired, admittedNow, endedNow] = await this.#scripts.seatlineWaitingRoomStep(...this.#keys(eventId),
      String(input.now), flag(input.open), flag(input.closed), flag(input.paused), flag(input.soldOut),
      String(input.placesLeft), String(input.shopping), String(input.admitPerMinute), String(input.admissionMs))
    return {
      eventId,
      status,
      served: Number(served),
      waiting: Number(waiting),
      admitted: Number(admitted),
      expired: Number(expired),
      seatsAvailable: input.placesLeft,
      admittedNow,
      endedNow,
      at: input.now,
      admittedUntil: input.now + input.admissionMs,
    }
  }

  /** The organiser's figures: waiting, admissions running, ran out, and tickets told sold out. */
  async counts (eventId: string, now = Date.now()): Promise<{ waiting: number, admitted: number, expired: number, soldOut: number }> {
    const [line, , , admitted, expired, state] = this.#keys(eventId)
    const replies = await this.#redis.pipeline()
      .zcard(line!).zcount(admitted!, `(${now}`, '+inf').zcount(admitted!, '-inf', now).scard(expired!).hget(state!, 'status')
      .exec() ?? []
    const [inLine, running, endedUnmoved, moved, status] = replies.map((r) => r[1])
    const waiting = Number(inLine ?? 0)
    const final = status === 'sold-out' || status === 'closed'
    return {
      waiting: final ? 0 : waiting,
      admitted: Number(running ?? 0),
      expired: Number(endedUnmoved ?? 0) + Number(moved ?? 0),
      soldOut: status === 'sold-out' ? waiting : 0,
    }
  }
}

function toTicket (eventId: string, raw: RawView, now: number): StoredTicket {
  const [ticketId, info, admittedUntilText, rank, expired, eventStatus, served, seats] = raw
  const [userId, joinedAt, admittedAt] = info.split('|')
  const admittedUntil = admittedUntilText === null ? undefined : Number(admittedUntilText)
  let status: TicketStatus
  if (admittedUntil !== undefined) status = admittedUntil > now ? 'admitted' : 'expired'
  else if (expired === 1) status = 'expired'
  else if (eventStatus === 'sold-out' || eventStatus === 'closed') status = eventStatus
  else status = 'waiting'
  const ticket: StoredTicket = {
    ticketId,
    eventId,
    userId: userId!,
    status,
    joinedAt: Number(joinedAt),
    served: Number(served),
    seatsAvailable: Number(seats ?? 0),
  }
  if (status === 'waiting' && rank !== null) ticket.rank = rank
  if (admittedAt) ticket.admittedAt = Number(admittedAt)
  if (admittedUntil !== undefined) ticket.admittedUntil = admittedUntil
  return ticket
}

/** The one message per event per admission step that every gateway reads. */
export const waitingRoomChannel = (prefix: string) => `${prefix}:waiting-room`

export interface WaitingRoomSubscription {
  close (): Promise<void>
}

/**
 * A gateway's side of the admission steps: `onStep` for every event's step (one message per
 * event per second, whoever ran it), `onGap` when messages may have been missed (the connection
 * dropped and came back), so that streams read their tickets again.
 */
export async function subscribeWaitingRoom (target: RedisTarget, prefix: string, handlers: {
  onStep (result: StepResult): void
  onGap (): void
}): Promise<WaitingRoomSubscription> {
  const redis = createBlockingRedis(target, 'seatline-gateway-waiting-room')
  redis.on('error', () => {})
  let subscribed = false
  redis.on('ready', () => { if (subscribed) handlers.onGap() })
  redis.on('message', (_channel: string, message: string) => {
    try {
      handlers.onStep(JSON.parse(message) as StepResult)
    } catch {
      handlers.onGap()
    }
  })
  await redis.subscribe(waitingRoomChannel(prefix))
  subscribed = true
  return {
    async close () {
      await redis.quit().catch(() => { redis.disconnect() })
    },
  }
}
