/** Writes packaging/grafana/lioha.json from lib/stats/grafana.ts. */
import { writeFileSync } from 'node:fs';
import { dashboard } from '../lib/stats/grafana.js';

writeFileSync(new URL('../packaging/grafana/lioha.json', import.meta.url), `${JSON.stringify(dashboard(), null, 2)}\n`);
process.stdout.write('wrote packaging/grafana/lioha.json\n');
