// Runs the lioha CLI from source (tests): the build defines LIOHA_VERSION; here it is set first.
(globalThis as { LIOHA_VERSION?: string }).LIOHA_VERSION = 'test';
await import('../../cli/main.js');
