import Type from 'typebox'
import { Uuid } from './http-common.ts'

export const Credentials = Type.Object({
  email: Type.String({ format: 'email', minLength: 3, maxLength: 254 }),
  password: Type.String({ minLength: 8, maxLength: 128 }),
}, { additionalProperties: false })
export type Credentials = Type.Static<typeof Credentials>

export const Session = Type.Object({ userId: Uuid, token: Type.String() })
export type Session = Type.Static<typeof Session>
