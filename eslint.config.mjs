import js from '@eslint/js'
import globals from 'globals'
import reactHooks from 'eslint-plugin-react-hooks'
import tseslint from 'typescript-eslint'

/** Any path into main/engine other than its index. */
const ENGINE_INTERNALS = {
  regex: '(^|/)engine/(?!index$).+',
  message: 'Import the engine through main/engine (its index.ts), never a file behind it.'
}

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      'out',
      'dist',
      'packages/engine/dist',
      'release',
      'coverage',
      'resources',
      'fixtures',
      'tools/.work',
      'bench/results',
      'e2e/artifacts',
      'test-results'
    ]
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }
      ],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'separate-type-imports' }
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': 'off'
    }
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron', 'node:*', '../main/*', '../../main/*'],
              message: 'The renderer talks to main only through shared/contract.'
            }
          ]
        }
      ]
    }
  },
  {
    files: ['main/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'main/engine is a plain library and must not import electron.'
            }
          ]
        }
      ]
    }
  },
  {
    // The engine's public surface is main/engine/index.ts; what lies behind it may change.
    files: ['**/*.{ts,mjs}'],
    ignores: ['main/engine/**', 'renderer/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [ENGINE_INTERNALS] }]
    }
  },
  {
    // The inference process loads this folder; Electron's main-process modules do not exist there.
    files: ['main/inference/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message:
                'main/inference runs in the child process too; main/index.ts injects what needs electron.'
            }
          ],
          patterns: [ENGINE_INTERNALS]
        }
      ]
    }
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: { ...globals.node } }
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  }
)
