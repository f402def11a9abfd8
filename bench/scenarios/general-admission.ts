import { audit, check } from '../lib/audit.ts'
import { jsonRequest, load, loadFigures } from '../lib/load.ts'
import type { ScenarioResult } from '../lib/result-types.ts'
import { sampleRss } from '../lib/rss.ts'
import { createEvent, type Target } from '../lib/target.ts'

export interface GeneralAdmissionOptions { requests: number, capacity: number, connections: number }

/** Many requests for 1–4 places of one standing section: sold exactly to capacity, never beyond. */
export async function generalAdmission (target: Target, options: GeneralAdmissionOptions): Promise<ScenarioResult> {
  const buyers = await target.buyers(options.connections)
  const event = await createEvent(target, buyers[0]!, { sections: [{ name: 'Floor', capacity: options.capacity }] })
  const sectionId = event.sections[0]!.id
  let next = 0
  let soldByReplies = 0
  let created = 0
  const rss = sampleRss(target.pids)
  const result = await load({
    title: 'general-admission',
    url: target.url,
    connections: options.connections,
    amount: options.requests,
    requests: [{
      setupRequest: (request) => {
        const i = next++
        const quantity = 1 + Math.floor(Math.random() * 4)
        return { ...request, ...jsonRequest('POST', `/v1/events/${event.id}/bookings`, buyers[i % buyers.length]!.token, { sectionId, quantity }) }
      },
      onResponse: (status, body) => {
        if (status !== 201) return
        created++
        soldByReplies += Number(/"quantity":(\d+)/.exec(body)?.[1] ?? 0)
      },
    }],
  })
  const rssMb = await rss.stop()

  const detail = await (await fetch(`${target.url}/v1/events/${event.id}`)).json() as { sections: Array<{ remaining: number, capacity: number }> }
  const remaining = detail.sections[0]!.remaining
  const checks = [
    check('sold never exceeds capacity', soldByReplies <= options.capacity && remaining >= 0, `${soldByReplies} sold by 201s, capacity ${options.capacity}, remaining ${remaining}`),
    check('sold plus remaining is the capacity', soldByReplies + remaining === options.capacity, `${soldByReplies} + ${remaining} = ${soldByReplies + remaining}`),
    check('demand exceeded supply: sold out exactly', remaining === 0, `remaining ${remaining}`),
  ]
  if (target.db) {
    const row = await target.db.selectFrom('bookings').select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.sum<string>('quantity').as('q')])
      .where('event_id', '=', event.id).where('status', '=', 'confirmed').executeTakeFirstOrThrow()
    checks.push(check('the database agrees with the 201s', Number(row.n) === created && Number(row.q) === soldByReplies,
      `${row.n} bookings of ${row.q} places; ${created} answered 201 for ${soldByReplies}`))
  }
  return {
    scenario: 'general-admission',
    system: 'seatline',
    label: 'general-admission',
    config: { connections: options.connections, durationS: Math.round(result.durationS * 10) / 10 },
    throughput: result.requests / result.durationS,
    unit: 'answers/s',
    ...loadFigures(result),
    audit: audit(checks),
    extra: { capacity: options.capacity, sold: soldByReplies, bookings: created },
    rssMb,
  }
}
