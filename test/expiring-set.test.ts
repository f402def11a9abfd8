import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { ExpiringSet } from '../apps/gateway/src/lib/expiring-set.ts'

t.test('members past their time are dropped as new ones come, not kept until the cap', async (t) => {
  const set = new ExpiringSet(50, 100_000)
  for (let i = 0; i < 1_000; i++) set.add(`old-${i}`)
  t.equal(set.size, 1_000, 'a thousand added at once are all there')
  await sleep(80)
  set.add('new')
  // Before, they stayed until 100,000 members pushed them out: a gateway's memory grew for hours.
  t.equal(set.size, 1, 'one add after their time leaves only the new member')
  t.ok(set.has('new'), 'which is known')
  t.notOk(set.has('old-0'), 'the old ones are not')
})

t.test('a member added again lives on from then; the cap still holds', async (t) => {
  const set = new ExpiringSet(60, 3)
  set.add('a')
  set.add('b')
  await sleep(40)
  set.add('a')
  await sleep(40)
  set.add('c')
  t.ok(set.has('a'), 'a, added again 40 ms ago, is kept')
  t.notOk(set.has('b'), 'b, added 80 ms ago, is gone')
  set.add('d')
  set.add('e')
  t.equal(set.size, 3, 'never more than the cap')
  t.notOk(set.has('a'), 'the least recently added went first')
})
