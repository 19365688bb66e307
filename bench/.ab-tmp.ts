// ab.ts rounds name=cmd... : interleaved CPU-time medians vs env -i node -e 0; env from /tmp/speed/envmon.sh style given via AB_ENV json
import { measure, report, nodeFloor, NODE_FLOOR } from '/work/wt/speed/bench/measure.ts';
const rounds = Number(process.argv[2]);
const env = JSON.parse(process.env.AB_ENV!);
const cases = [nodeFloor(), ...process.argv.slice(3).map((a) => { const [name, ...cmd] = a.split(' '); const e = { ...env }; const args = []; for (const c of cmd.slice(1)) { const m = /^([A-Z_]+)=(.*)$/.exec(c); if (m) e[m[1]] = m[2]; else args.push(c); } return { name, cmd: cmd[0], args, env: e, ok: [0, 7] }; })];
report(measure(cases, rounds), NODE_FLOOR);
