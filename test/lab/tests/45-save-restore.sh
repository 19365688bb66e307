#!/bin/bash
# lioha's saveconfig and targetcli's are interchangeable on the real kernel (issue 16, items 4 and 5):
#  A. the agent starts a targetcli-saved file (the lab's, plus an IPv6 portal and a write-protected
#     mapped LUN), `lioha target save` writes it back, and `targetctl restore` of that file builds the
#     same tree (IPv4 and IPv6 portals, CHAP, mapped LUNs with write_protect);
#  B. on a tree targetctl built, `lioha target save` and `targetctl save` write the same document.
# The host (save-restore.lab.ts) compares the trees and the documents.
. "$LAB_REPO/test/lab/guest/lib.sh"
. "$LAB_REPO/test/lab/guest/storage.sh"
. "$LAB_REPO/test/lab/guest/target.sh"
IQN=$LAB_IQN
LIOHA="$LAB_REPO/dist/bin/lioha"
if ! have_agent target; then skip "target agent" "not built in dist/"; finish; fi
ok "labvg with 4 LUN LVs" lab_vg
ok "LIO modules load" lab_lio_modules
lab_target_config
CFG=/etc/target/variant.json
ok "variant: IPv6 portal [::1]:3260, write_protect on a mapped LUN" node -e '
  const fs = require("fs"); const d = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  const tpg = d.targets[0].tpgs[0];
  tpg.portals.push({ ip_address: "[::1]", port: 3260, iser: false, offload: false });
  tpg.node_acls[0].mapped_luns[0].write_protect = true;
  fs.writeFileSync(process.argv[2], JSON.stringify(d, null, 2), { mode: 0o600 });' "$LAB_TARGET_CFG" "$CFG"
cp "$CFG" "$T/variant.json"
ok "agent start of the targetcli-saved variant" agent target start iqn="$IQN" config="$CFG"
lab_lio_tree "$T/tree-agent.txt"
ok "lioha target save" "$LIOHA" target save --iqn "$IQN" -o "$T/lioha-saved.json"
ok "agent stop" agent target stop iqn="$IQN" config="$CFG"
ok "nothing left after stop" lab_lio_empty
ok "targetctl restore of the lioha-saved file" targetctl restore "$T/lioha-saved.json"
lab_lio_tree "$T/tree-restored.txt"
ok "targetctl clear" targetctl clear
ok "targetctl restore of the variant" targetctl restore "$CFG"
ok "targetctl save" targetctl save "$T/targetctl-saved.json"
ok "lioha target save of the targetctl-built tree" "$LIOHA" target save -o "$T/lioha-saved-of-targetctl.json"
ok "targetctl clear" targetctl clear
finish
