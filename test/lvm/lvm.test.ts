import { describe, expect, it } from 'vitest';
import { buildLvmConfig, filterRule, parseExtraDevices } from '../../lib/lvm/config.js';
import { parseLvsJson, parsePvsJson, parseSystemId, parseVgsJson, LvmReportError } from '../../lib/lvm/report.js';
import { dmName, lvAliases, splitDmName } from '../../lib/lvm/names.js';
import { Lvm, type Exec } from '../../lib/lvm/lvm.js';

// Output format of lvm2 2.03 `vgs/lvs/pvs --reportformat json`.
const VGS = `  {
      "report": [
          {
              "vg": [
                  {"vg_name":"vg1", "vg_uuid":"Zk3bLd-1", "vg_systemid":"node2", "vg_tags":"pacemaker,other", "lv_count":"5", "vg_exported":""}
              ]
          }
      ]
  }
`;
const LVS = `{"report":[{"lv":[
 {"lv_name":"lv-lun0", "vg_name":"vg1", "lv_attr":"-wi-a-----", "lv_active":"active", "lv_uuid":"a"},
 {"lv_name":"lv-lun1", "vg_name":"vg1", "lv_attr":"-wi-------", "lv_active":"", "lv_uuid":"b"}]}]}`;
const PVS = '{"report":[{"pv":[{"pv_name":"/dev/drbd0","vg_name":"vg1","pv_uuid":"p"},{"pv_name":"/dev/drbd10","vg_name":"vg1","pv_uuid":"q"}]}]}';

describe('lvm config', () => {
  it('accepts only DRBD devices (plus extras) in filter and global_filter, devices file off', () => {
    const c = buildLvmConfig({ extraAccept: ['^/dev/mapper/mpath'] });
    const rules = '["a|^/dev/drbd[0-9]+$|","a|^/dev/drbd/by-res/|","a|^/dev/drbd/by-disk/|","a|^/dev/mapper/mpath|","r|.*|"]';
    expect(c).toBe(`devices{filter=${rules} global_filter=${rules} use_devicesfile=0}`);
  });
  it('adds udev, volume_list and extra_system_ids settings when asked', () => {
    const c = buildLvmConfig({ noUdev: true, volumeList: ['@pacemaker'], extraSystemIds: ['node2'] });
    expect(c).toContain('obtain_device_list_from_udev=0}');
    expect(c).toContain('activation{volume_list=["@pacemaker"] udev_sync=0 udev_rules=0}');
    expect(c).toContain('local{extra_system_ids=["node2"]}');
  });
  it('picks a free delimiter and escapes quotes', () => {
    expect(filterRule('a', '^/dev/(sda|sdb)$')).toBe('"a#^/dev/(sda|sdb)$#"');
    expect(filterRule('r', 'x"y')).toBe('"r|x\\"y|"');
  });
  it('rejects an extra_devices regex that does not compile', () => {
    expect(parseExtraDevices(' ^/dev/sd[ab]$  ^/dev/vd ')).toEqual(['^/dev/sd[ab]$', '^/dev/vd']);
    expect(() => parseExtraDevices('^/dev/(')).toThrow(SyntaxError);
  });
});

describe('lvm json reports', () => {
  it('vgs', () => {
    expect(parseVgsJson(VGS)).toEqual([{ name: 'vg1', uuid: 'Zk3bLd-1', systemId: 'node2', tags: ['pacemaker', 'other'], lvCount: 5, exported: false }]);
    expect(parseVgsJson('{"report":[{"vg":[]}]}')).toEqual([]);
  });
  it('lvs: active from lv_active, else from the attr column', () => {
    expect(parseLvsJson(LVS).map((l) => [l.name, l.active])).toEqual([['lv-lun0', true], ['lv-lun1', false]]);
    expect(parseLvsJson('{"report":[{"lv":[{"lv_name":"x","vg_name":"v","lv_attr":"-wi-a-----"}]}]}')[0]!.active).toBe(true);
  });
  it('pvs and systemid', () => {
    expect(parsePvsJson(PVS).map((p) => p.name)).toEqual(['/dev/drbd0', '/dev/drbd10']);
    expect(parseSystemId('  system ID: iscsitgt01a\n')).toBe('iscsitgt01a');
    expect(parseSystemId('  system ID: \n')).toBe('');
  });
  it('malformed output is an error', () => {
    expect(() => parseVgsJson('  Volume group "vg1" not found')).toThrow(LvmReportError);
    expect(() => parseVgsJson('{"report":[{"vg":[{"vg_uuid":"x"}]}]}')).toThrow(/vg_name/);
    expect(() => parseSystemId('garbage')).toThrow(LvmReportError);
  });
});

describe('dm names', () => {
  it('round-trips dashes', () => {
    expect(dmName('vg-a', 'lv-lun0')).toBe('vg--a-lv--lun0');
    expect(splitDmName('vg--a-lv--lun0')).toEqual({ vg: 'vg-a', lv: 'lv-lun0', layer: undefined });
    expect(splitDmName('vg1-thin_tdata')).toEqual({ vg: 'vg1', lv: 'thin_tdata', layer: undefined });
    expect(splitDmName('vg1-snap-cow')).toEqual({ vg: 'vg1', lv: 'snap', layer: 'cow' });
    expect(splitDmName('mpatha')).toBeUndefined();
    expect(lvAliases('vg1', 'lv-lun0', 'dm-3')).toEqual(['/dev/vg1/lv-lun0', '/dev/mapper/vg1-lv--lun0', '/dev/dm-3']);
  });
});

describe('Lvm command lines', () => {
  const calls: { cmd: string; args: string[]; env?: Record<string, string> }[] = [];
  const exec: Exec = async (cmd, args, o) => {
    calls.push({ cmd, args, env: o.env });
    const out = args[0] === 'vgs' ? VGS : args[0] === 'lvs' ? LVS : args[0] === 'pvs' ? PVS : '';
    return { exitCode: 0, stdout: out, stderr: '', durationMs: 1 };
  };
  it('passes the filter on every call and DM_DISABLE_UDEV without udev', async () => {
    const lvm = new Lvm(exec, { noUdev: true });
    expect((await lvm.vg('vg1'))?.systemId).toBe('node2');
    await lvm.takeSystemId('vg1', 'node1', 'node2');
    await lvm.activate('vg1', true, ['@pacemaker']);
    for (const c of calls) {
      expect(c.cmd).toBe('lvm');
      expect(c.args[c.args.indexOf('--config') + 1]).toContain('"r|.*|"');
      expect(c.env).toEqual({ DM_DISABLE_UDEV: '1' });
    }
    expect(calls[0]!.args).toEqual(expect.arrayContaining(['vgs', '--reportformat', 'json', '--foreign', 'vg1']));
    expect(calls[1]!.args).toEqual(expect.arrayContaining(['vgchange', '-y', '--systemid', 'node1', 'vg1']));
    expect(calls[1]!.args[3]).toContain('local{extra_system_ids=["node2"]}');
    expect(calls[2]!.args.slice(0, 2)).toEqual(['vgchange', '-ay']);
    expect(calls[2]!.args[3]).toContain('volume_list=["@pacemaker"]');
  });
});
