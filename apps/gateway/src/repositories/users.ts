import type { Db } from '@seatline/db'

const UNIQUE_VIOLATION = '23505'

export class UsersRepository {
  readonly #db: Db

  constructor (db: Db) {
    this.#db = db
  }

  /** Returns the new user's id, or undefined when the email is taken. */
  async create (email: string, passwordHash: string): Promise<string | undefined> {
    try {
      const row = await this.#db.insertInto('users').values({ email, password_hash: passwordHash })
        .returning('id').executeTakeFirstOrThrow()
      return row.id
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return undefined
      throw error
    }
  }

  /** Swaps a hash for a stronger one of the same password, unless it changed meanwhile. */
  async replacePasswordHash (userId: string, previous: string, next: string): Promise<void> {
    await this.#db.updateTable('users').set({ password_hash: next }).where('id', '=', userId).where('password_hash', '=', previous).execute()
  }

  async findByEmail (email: string): Promise<{ id: string, passwordHash: string, tokenVersion: number } | undefined> {
    const row = await this.#db.selectFrom('users').select(['id', 'password_hash', 'token_version']).where('email', '=', email).executeTakeFirst()
    return row ? { id: row.id, passwordHash: row.password_hash, tokenVersion: row.token_version } : undefined
  }
}
