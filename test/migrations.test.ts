import { readdir } from 'node:fs/promises'
import { MIGRATIONS_FOLDER } from '@seatline/db'
import t from 'tap'
import { migrations } from '../migrations/index.ts'

t.test('every migration file in the folder is in the list Kysely reads, in order', async (t) => {
  const files = (await readdir(MIGRATIONS_FOLDER)).filter((f) => f.endsWith('.ts') && f !== 'index.ts').map((f) => f.slice(0, -3)).sort()
  t.same(Object.keys(migrations), files, 'migrations/index.ts names each file once, in file-name order')
  for (const [name, migration] of Object.entries(migrations)) t.type(migration.up, 'function', `${name} has an up`)
})
