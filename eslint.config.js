import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'dist-subpath/', 'node_modules/', 'public/models/', 'test-results/', 'playwright-report/'] },
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  {
    // The page's main thread never runs model code (it lives in the worker): importing any of
    // these would bundle the inference library into the page's own script.
    files: ['src/state/**', 'src/ui/**', 'src/client/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@huggingface/transformers',
                'onnxruntime-web',
                '**/engine/conversation.ts',
                '**/engine/vision-model.ts',
                '**/engine/local-backend.ts',
                '**/engine/server/server-backend.ts',
                '**/eval/run-eval.ts',
                '**/eval/ask-item.ts',
                '**/eval/open-dataset.ts',
              ],
              allowTypeImports: true,
              message: 'Model code runs in the worker; the page imports only pure modules.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
