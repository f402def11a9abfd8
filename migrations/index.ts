/**
 * Every migration, in order: Kysely reads them from here rather than importing the folder's
 * files one by one at run time, so they travel inside a bundled process. A new migration is
 * added here too; `test/migrations.test.ts` fails if the folder and this list differ.
 */
import type { Migration } from 'kysely/migration'
import * as m0 from './2026-11-21T00-initial-schema.ts'
import * as m1 from './2026-11-21T01-book-seats-function.ts'
import * as m2 from './2026-11-21T02-book-seats-in-batches.ts'
import * as m3 from './2026-11-22T03-one-seat-status-rule.ts'
import * as m4 from './2026-11-22T04-pending-requests-index.ts'
import * as m5 from './2026-11-22T06-seat-versions.ts'
import * as m6 from './2026-12-07T07-sale-controls.ts'
import * as m7 from './2026-12-07T08-lean-booking.ts'
import * as m8 from './2026-12-07T09-waiting-room.ts'
import * as m9 from './2026-12-07T10-pending-record-race.ts'
import * as m10 from './2026-12-07T11-token-version.ts'
import * as m11 from './2026-12-07T12-hold-cap.ts'
import * as m12 from './2026-12-07T13-retention.ts'

export const migrations: Record<string, Migration> = {
  '2026-11-21T00-initial-schema': m0,
  '2026-11-21T01-book-seats-function': m1,
  '2026-11-21T02-book-seats-in-batches': m2,
  '2026-11-22T03-one-seat-status-rule': m3,
  '2026-11-22T04-pending-requests-index': m4,
  '2026-11-22T06-seat-versions': m5,
  '2026-12-07T07-sale-controls': m6,
  '2026-12-07T08-lean-booking': m7,
  '2026-12-07T09-waiting-room': m8,
  '2026-12-07T10-pending-record-race': m9,
  '2026-12-07T11-token-version': m10,
  '2026-12-07T12-hold-cap': m11,
  '2026-12-07T13-retention': m12,
}
