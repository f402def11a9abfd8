import { type Kysely, sql } from 'kysely'

// The schema carries the last line of defence: whatever the queue and locks do, Postgres refuses
// a second active booking of one seat and a general-admission section sold below zero.
export async function up (db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('users')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()

  await db.schema.createTable('events')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('starts_at', 'timestamptz')
    .addColumn('created_by', 'uuid', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('events_created_at_id').on('events').columns(['created_at', 'id']).execute()

  await db.schema.createTable('sections')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('event_id', 'uuid', (c) => c.notNull().references('events.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('capacity', 'integer', (c) => c.notNull().check(sql`capacity > 0`))
    .addColumn('remaining', 'integer', (c) => c.notNull())
    .addColumn('price_cents', 'integer')
    .addColumn('fence', 'bigint', (c) => c.notNull().defaultTo(0))
    .addCheckConstraint('sections_remaining_not_negative', sql`remaining >= 0`)
    .addCheckConstraint('sections_remaining_within_capacity', sql`remaining <= capacity`)
    .execute()
  await db.schema.createIndex('sections_event_id').on('sections').column('event_id').execute()

  await db.schema.createTable('seats')
    .addColumn('event_id', 'uuid', (c) => c.notNull().references('events.id'))
    .addColumn('seat_id', 'text', (c) => c.notNull())
    .addColumn('section', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('available')
      .check(sql`status in ('available', 'held', 'booked')`))
    .addColumn('hold_id', 'uuid')
    .addColumn('hold_expires_at', 'timestamptz')
    .addColumn('booking_id', 'uuid')
    .addColumn('fence', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('seats_pkey', ['event_id', 'seat_id'])
    .addCheckConstraint('seats_held_has_hold', sql`status <> 'held' or (hold_id is not null and hold_expires_at is not null)`)
    .addCheckConstraint('seats_booked_has_booking', sql`status <> 'booked' or booking_id is not null`)
    .execute()

  // The sweeper's way to the expired holds it tidies.
  await db.schema.createIndex('seats_held_expiry').on('seats').column('hold_expires_at')
    .where(sql.ref('status'), '=', 'held').execute()

  await db.schema.createTable('holds')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('event_id', 'uuid', (c) => c.notNull().references('events.id'))
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id'))
    .addColumn('seat_ids', sql`text[]`, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'confirmed', 'released')`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('booking_id', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('holds_active_expires_at').on('holds').column('expires_at')
    .where(sql.ref('status'), '=', 'active').execute()

  await db.schema.createTable('bookings')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('event_id', 'uuid', (c) => c.notNull().references('events.id'))
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id'))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('confirmed', 'cancelled')`))
    .addColumn('section_id', 'uuid', (c) => c.references('sections.id'))
    .addColumn('quantity', 'integer', (c) => c.check(sql`quantity > 0`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('cancelled_at', 'timestamptz')
    .execute()
  await db.schema.createIndex('bookings_user_created_at_id').on('bookings')
    .columns(['user_id', 'created_at', 'id']).execute()
  await db.schema.createIndex('bookings_event_id').on('bookings').column('event_id').execute()

  await db.schema.createTable('booking_seats')
    .addColumn('booking_id', 'uuid', (c) => c.notNull().references('bookings.id'))
    .addColumn('event_id', 'uuid', (c) => c.notNull())
    .addColumn('seat_id', 'text', (c) => c.notNull())
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addPrimaryKeyConstraint('booking_seats_pkey', ['booking_id', 'seat_id'])
    .addForeignKeyConstraint('booking_seats_seat_fkey', ['event_id', 'seat_id'], 'seats', ['event_id', 'seat_id'])
    .execute()
  // The guarantee itself: at most one active booking per seat, whatever the layers above do.
  await db.schema.createIndex('booking_seats_one_active_per_seat').on('booking_seats')
    .columns(['event_id', 'seat_id']).unique().where(sql.ref('active'), '=', true).execute()

  // One row per accepted command: the durable record behind 202 polling and job retries.
  await db.schema.createTable('requests')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id'))
    .addColumn('command', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending')
      .check(sql`status in ('pending', 'succeeded', 'failed')`))
    .addColumn('result', 'json')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('completed_at', 'timestamptz')
    .execute()
  await db.schema.createIndex('requests_created_at').on('requests').column('created_at').execute()

  await db.schema.createTable('idempotency_keys')
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('request_id', 'uuid', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('idempotency_keys_pkey', ['user_id', 'key'])
    // Checked at commit: a key is claimed first, then its request row is written.
    .addForeignKeyConstraint('idempotency_keys_request_fkey', ['request_id'], 'requests', ['id'],
      (fk) => fk.onDelete('cascade').deferrable().initiallyDeferred())
    .execute()
}

export async function down (db: Kysely<unknown>): Promise<void> {
  for (const table of ['idempotency_keys', 'requests', 'booking_seats', 'bookings', 'holds', 'seats', 'sections', 'events', 'users']) {
    await db.schema.dropTable(table).ifExists().execute()
  }
}
