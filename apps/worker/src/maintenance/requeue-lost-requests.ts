import type { RequestRecords } from '@seatline/db'
import { sendAgain } from '@seatline/queue'
import type { Queue } from 'bullmq'

const BATCH = 500

/** Sends again every command still pending in Postgres after `olderThanMs` (see sendAgain). */
export async function requeueLostRequests (records: RequestRecords, queues: Queue[], olderThanMs: number): Promise<number> {
  const pending = await records.pendingOlderThan(olderThanMs, BATCH)
  for (const command of pending) await sendAgain(queues, command)
  return pending.length
}
