import globals from 'globals'
import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['bench/results/**', 'node_modules/**', '**/.build/**'],
  }),
  {
    rules: {
      // TypeBox's idiom: a schema const and its static type share one name.
      '@typescript-eslint/no-redeclare': 'off',
    },
  },
  {
    // The web app's client code runs in the browser.
    files: ['apps/web/client/**'],
    languageOptions: { globals: globals.browser },
  },
]
