/**
 * What live maps cost a gateway in CPU, with and without the write budget:
 * `npm run bench:stream-writes -- [streams] [rounds]` (default 2,000 streams, 2 rounds). Each
 * round starts three fresh stacks (one worker): one with no stream open, one with
 * LIVE_MAP_WRITES_PER_SECOND so high it never binds, and one with the default. It opens the
 * streams (held: the bytes are read, not parsed), books 100 seats a second for 10 s so that
 * every flush has something to send, and prints the gateway's CPU seconds over those 10 s. Alternating the settings keeps a noisy machine's
 * drift out of the comparison. Reads /proc, so it runs where the services run (Linux).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { openSse, type SseConnection } from '../test/helpers/sse-client.ts'
import { cpuSeconds } from './lib/rss.ts'
import { median } from './lib/stats.ts'
import { createEvent, ownStack, seatNames } from './lib/target.ts'

const LOAD_MS = 10_000
const BOOKINGS_PER_SECOND = 100
const UNBOUNDED = '10000000'

async function gatewayCpu (streams: number, writesPerSecond: string | undefined): Promise<number> {
  const target = await ownStack({ workers: 1, env: writesPerSecond ? { LIVE_MAP_WRITES_PER_SECOND: writesPerSecond } : {} })
  const open: SseConnection[] = []
  try {
    const buyers = await target.buyers(100)
    const event = await createEvent(target, buyers[0]!, { seats: seatNames((LOAD_MS / 1000) * BOOKINGS_PER_SECOND) })
    for (let i = 0; i < streams; i += 100) {
      open.push(...await Promise.all(Array.from({ length: Math.min(100, streams - i) },
        () => openSse(`${target.url}/v1/events/${event.id}/stream`, () => {}, { held: true }))))
    }
    await sleep(1_000)
    const before = await cpuSeconds(target.pids.gateway[0]!)
    const asks: Array<Promise<unknown>> = []
    for (let n = 0; n < (LOAD_MS / 1000) * BOOKINGS_PER_SECOND; n++) {
      const buyer = buyers[n % buyers.length]!
      asks.push(fetch(`${target.url}/v1/events/${event.id}/bookings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${buyer.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ seatIds: [`S${n + 1}`] }),
      }).then((res) => res.text()))
      await sleep(1000 / BOOKINGS_PER_SECOND)
    }
    await Promise.all(asks)
    return (await cpuSeconds(target.pids.gateway[0]!)) - before
  } finally {
    for (const connection of open) connection.close()
    await target.stop()
  }
}

const [streams = 2_000, rounds = 2] = process.argv.slice(2).map(Number)
const none: number[] = []
const unbounded: number[] = []
const budgeted: number[] = []
const seconds = (values: number[]) => `${values.at(-1)!.toFixed(2)} s`
for (let round = 1; round <= rounds; round++) {
  none.push(await gatewayCpu(0, undefined))
  unbounded.push(await gatewayCpu(streams, UNBOUNDED))
  budgeted.push(await gatewayCpu(streams, undefined))
  console.log(`round ${round}: gateway CPU over ${LOAD_MS / 1000} s: ${seconds(none)} without streams; with ${streams}, ${seconds(unbounded)} unbounded, ${seconds(budgeted)} within the default budget`)
}
const [base, a, b] = [median(none), median(unbounded), median(budgeted)]
console.log(`medians of ${rounds}: ${base.toFixed(2)} s without streams; the streams add ${(a - base).toFixed(2)} s unbounded, ${(b - base).toFixed(2)} s within the budget`)
