#!/bin/bash
# Records the configfs tree of the running kernel with the objects the emulator's templates are cut from
# (scripts/configfs-templates-from-recording.mjs): the lab's 4-LUN/4-ACL target by targetctl restore, an
# unattached fileio object and a second target on a ramdisk with generate_node_acls=1, all by rtslib.
# Run on each lab kernel (LAB_KERNEL_SUITE=trixie for Debian 13's 6.12) to model both in the emulator.
. "$LAB_REPO/test/lab/guest/lib.sh"
. "$LAB_REPO/test/lab/guest/storage.sh"
CFG="$LAB_REPO/test/lab/fixtures/lab-4lun.json"
uname -r > "$T/kernel-release"
ok "labvg with 4 LUN LVs on the scratch disk" lab_vg
ok "LIO modules load" lab_lio_modules
modprobe target_core_user 2>/dev/null || true
mkdir -p /etc/target /etc/rtslib-fb-target/pr
ok "targetctl restore" targetctl restore "$CFG"
truncate -s 16M /tmp/file0.img
ok "fileio file0 and a ramdisk target by rtslib" python3 - <<'P'
from rtslib_fb import FileIOStorageObject, RDMCPStorageObject, FabricModule, Target, TPG, LUN, NetworkPortal
FileIOStorageObject('file0', dev='/tmp/file0.img', size=16 << 20)
rd = RDMCPStorageObject('rd0', size=16 << 20)
t = Target(FabricModule('iscsi'), 'iqn.2016-09.com.example:other')
tpg = TPG(t, 1)
tpg.set_attribute('generate_node_acls', 1)
LUN(tpg, 0, rd)
NetworkPortal(tpg, '127.0.0.1', 3261)
tpg.enable = True
P
lab_lio_tree "$T/tree.txt"
ok "tree recorded" test "$(wc -l < "$T/tree.txt")" -gt 500
ok "targetctl save" targetctl save "$T/saveconfig.json"
ok "targetctl clear" targetctl clear
finish
