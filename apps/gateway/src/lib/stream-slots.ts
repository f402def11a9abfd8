import type { FastifyReply, FastifyRequest } from 'fastify'
import { ProblemError } from './problem-error.ts'

/** Seconds a refused client is told to wait: streams close when their buyers leave, not at once. */
const RETRY_AFTER_S = '5'

export type SlotVerdict = 'ok' | 'address' | 'full'

export interface StreamSlotsOptions {
  /** Streams one client address may hold open; 0 is no cap. */
  perAddress: number
  /** Streams this gateway holds open in all; 0 is no cap. */
  max: number
}

/**
 * The open Server-Sent-Event streams of this gateway, counted per client address and in all.
 * Every open stream holds a socket and memory and takes a write on every flush, so idle streams
 * without a cap would stretch every real buyer's updates. Counted in memory: a stream lives on
 * one gateway, and its slot must come back the moment it closes, Redis or not.
 */
export class StreamSlots {
  readonly #options: StreamSlotsOptions
  readonly #byAddress = new Map<string, number>()
  #open = 0

  constructor (options: StreamSlotsOptions) {
    this.#options = options
  }

  get open (): number {
    return this.#open
  }

  get perAddress (): number {
    return this.#options.perAddress
  }

  get max (): number {
    return this.#options.max
  }

  /** The streams `address` holds open. */
  held (address: string): number {
    return this.#byAddress.get(address) ?? 0
  }

  /** One more stream for `address`, or why not: it holds its share ('address'), or the gateway is full. */
  take (address: string): SlotVerdict {
    const held = this.held(address)
    // The address's own cap first: a client over its share is told so, whatever the others do.
    if (this.#options.perAddress > 0 && held >= this.#options.perAddress) return 'address'
    if (this.#options.max > 0 && this.#open >= this.#options.max) return 'full'
    this.#byAddress.set(address, held + 1)
    this.#open++
    return 'ok'
  }

  /**
   * The function that gives back a slot `take` granted `address`. It gives it back once however
   * often it runs, so every event that may mean "closed" can call it.
   */
  releaser (address: string): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      this.#open--
      const held = this.held(address) - 1
      // No entry per address ever seen: the map holds only addresses with streams open.
      if (held > 0) this.#byAddress.set(address, held)
      else this.#byAddress.delete(address)
    }
  }
}

/**
 * Takes a slot for the stream this request asks for, given back when its connection closes (or
 * its reply, a problem before the stream, is done); else throws the refusal: 429 RATE_LIMITED
 * for an address holding its share, 503 OVERLOADED for a full gateway, both with Retry-After.
 */
export function holdStreamSlot (slots: StreamSlots, request: FastifyRequest, reply: FastifyReply): void {
  const address = request.ip
  const verdict = slots.take(address)
  if (verdict === 'address') {
    throw new ProblemError('RATE_LIMITED', `this address has ${slots.perAddress} streams open on this gateway, the most it may; close one or try again later`,
      {}, { 'retry-after': RETRY_AFTER_S })
  }
  if (verdict === 'full') {
    throw new ProblemError('OVERLOADED', 'this gateway has as many streams open as it may; try again shortly', {}, { 'retry-after': RETRY_AFTER_S })
  }
  const release = slots.releaser(address)
  request.raw.once('close', release)
  reply.raw.once('close', release)
  // A client gone while the request waited (the rate limit, say) has had its close events already.
  if (request.raw.destroyed || reply.raw.closed) release()
}
