// ESLint (flat config) for gradlab: typescript-eslint with type information from the project's own
// tsconfigs. `npm run lint` (scripts/lint.sh) runs it with tsc, prettier --check and knip.
//
// Type information: each .ts file is checked in the first program that contains it —
// tsconfig.extension.json (the browser bundle: extension/ and the engine/display files it
// imports; DOM lib), tsconfig.json (the engine; Node types), tsconfig.lint.json (tests,
// benchmarks, vitest configs). Plain .js/.mjs files are linted without type information.
import js from '@eslint/js';
import comments from '@eslint-community/eslint-plugin-eslint-comments/configs';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    // Generated, vendored or installed output (most are git-ignored too).
    ignores: [
      'node_modules/',
      'dist/',
      'lib/',
      'gradlab/labextension/',
      '.venv/',
      'test-output/',
      'screenshots/',
      'bench/node_modules/',
      'bench/.venv/',
      'bench/results/',
      'notebooks/student/',
      '**/.ipynb_checkpoints/',
    ],
  },
  {
    linterOptions: {
      // A disable comment that no longer suppresses anything is an error: exceptions do not outlive their reason.
      reportUnusedDisableDirectives: 'error',
    },
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.extension.json', './tsconfig.json', './tsconfig.lint.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },

  // Every exception to a rule says why: `// eslint-disable-next-line rule -- reason`.
  comments.recommended,
  {
    rules: {
      '@eslint-community/eslint-comments/require-description': ['error', { ignore: [] }],
      '@eslint-community/eslint-comments/disable-enable-pair': ['error', { allowWholeFile: true }],
    },
  },

  {
    files: ['**/*.ts'],
    rules: {
      // Classes and variables (incl. const arrow functions) must be declared before use: their
      // temporal dead zone is a real error at run time. Function declarations are hoisted, and the
      // code reads top-down (the exported function first, its helpers below), so they may come later.
      '@typescript-eslint/no-use-before-define': [
        'error',
        { functions: false, classes: true, variables: true, enums: true, typedefs: false, ignoreTypeReferences: true },
      ],
    },
  },

  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: {
      // `_name` marks a parameter or binding kept for its position (`(_primals, [dx], y) => ...`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },

  // Tests and benchmarks reach into untyped things on purpose: values from the page
  // (page.evaluate), parsed JSON, deliberately wrong arguments to check error messages, the
  // optional peers of the benchmark (tfjs, not installed by npm ci). The `any` rules would need
  // hundreds of casts there that prove nothing; they stay on for engine/ and extension/.
  {
    files: ['test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },

  // The size budget of the views and the display layer (issue #11): a function of at most 80
  // lines, nested closures included. An exception needs `// eslint-disable-next-line
  // max-lines-per-function -- why`.
  {
    files: ['extension/**/*.ts', 'engine/display/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: false, skipComments: false, IIFEs: true }],
    },
  },

  // Plain JavaScript: the CLI, scripts, the rspack config. No type information.
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // the views preview hands functions to page.evaluate: they run in the page
    files: ['test/extension/preview/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
