import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

function ajv (options: Options): Ajv {
  const instance = new Ajv({ useDefaults: true, allErrors: false, strict: false, ...options })
  addFormats.default(instance)
  return instance
}

/**
 * Bodies are validated strictly: no type coercion ("60" is not 60), unknown fields refused.
 * Query strings and path params arrive as text, so they are parsed into their declared types.
 */
async function validation (app: FastifyInstance): Promise<void> {
  const bodies = ajv({ coerceTypes: false, removeAdditional: false })
  const urlParts = ajv({ coerceTypes: true, removeAdditional: false })
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const compiler = httpPart === 'body' ? bodies : urlParts
    return compiler.compile(schema)
  })
}

export default fp(validation, { name: 'validation' })
