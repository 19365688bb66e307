import { EmulatedConfigFs } from '../lib/configfs/emulator.js';
const root = '/dev/shm/lioha-target-DfPRR0/sys/kernel/config/target';
const e = new EmulatedConfigFs(root);
const tdir = 'iscsi/iqn.2016-09.com.example:iscsitgt01/tpgt_1';
for (let r = 0; r < 5; r++) {
  let t = process.cpuUsage();
  for (let i = 0; i < 100; i++) await e.read(tdir + '/enable');
  let c = process.cpuUsage(t); console.log('read x100', (c.user + c.system) / 1000);
  t = process.cpuUsage();
  for (let i = 0; i < 100; i++) await e.readdir(tdir + '/lun');
  c = process.cpuUsage(t); console.log('readdir x100', (c.user + c.system) / 1000);
  t = process.cpuUsage();
  for (let i = 0; i < 100; i++) await e.exists(tdir + '/lun');
  c = process.cpuUsage(t); console.log('exists x100', (c.user + c.system) / 1000);
}
