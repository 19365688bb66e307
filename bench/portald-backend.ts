/** Child process of bench/portald.ts: a fake LIO target on 127.0.0.1 with N targets; prints its port. */
import { FakeTarget } from '../test/iscsi/fake-target.js';

const n = Number(process.argv[2] ?? 8);
const t = await new FakeTarget({
  host: '127.0.0.1',
  targets: Array.from({ length: n }, (_, i) => ({ name: `iqn.2026-01.bench.lioha:disk${i}`, acl: ['*'] })),
}).start();
process.stdout.write(`${t.port}\n`);
process.on('SIGTERM', () => void t.stop().then(() => process.exit(0)));
