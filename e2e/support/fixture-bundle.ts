/**
 * The random-weight test fixture (test/fixtures/pandagpt-tiny) converted by `npm run build:model`
 * (cli/build-builtin.ts): the bundle whose reference outputs engine-level e2e tests compare against.
 * The app's own built-in model is PandaGPT-nano (public/models/builtin). Relative to the repository
 * root, which is also where the harness dev server serves it from.
 */
export const FIXTURE_BUNDLE = '.cache/bundles/fixture';
