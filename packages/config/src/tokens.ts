import { createHash } from 'node:crypto'

/**
 * Who issues Seatline's tokens, and for whom: checked on every token, so a token that another
 * system signed with a shared secret is not taken for one of ours. A service that verifies
 * Seatline's tokens checks the same two.
 */
export const TOKEN_ISSUER = 'seatline'
export const TOKEN_AUDIENCE = 'seatline-api'

/** A secret's public name, in each token's header (`kid`): which secret verifies it, without revealing the secret. */
export function tokenKeyId (secret: string): string {
  return createHash('sha256').update(secret).digest('base64url').slice(0, 12)
}
