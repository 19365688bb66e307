#!/bin/bash
# The `portal` agent on the real kernel: a portal address on a dummy interface, the LIO network portal
# bound to it in a target built by targetctl (independent of the target agent), nftables SYN blocking
# during transitions; an initiator discovers the target through the address; stop takes it all away.
. "$LAB_REPO/test/lab/guest/lib.sh"
. "$LAB_REPO/test/lab/guest/storage.sh"
. "$LAB_REPO/test/lab/guest/iscsi.sh"
if ! have_agent portal; then skip "portal agent" "not built in dist/"; finish; fi
IQN=iqn.2016-09.com.example:iscsitgt01
IP=192.0.2.10
NP=/sys/kernel/config/target/iscsi/$IQN/tpgt_1/np/$IP:3260
ok "labvg with 4 LUN LVs" lab_vg
ok "LIO modules load" lab_lio_modules
ok "target by targetctl" targetctl restore "$LAB_REPO/test/lab/fixtures/lab-4lun.json"
ok "dummy interface lab0 up" bash -c "modprobe dummy && ip link add lab0 type dummy && ip link set lab0 up"
p_agent() { agent portal "$1" ip=$IP cidr_netmask=24 nic=lab0 iqn=$IQN block=drop; }
ok "monitor before start = 7" agent_rc_is 7 p_agent monitor
ok "start" timed portal_start_ms p_agent start
ok "monitor = 0" timed portal_monitor_ms agent_rc_is 0 p_agent monitor
ok "address on lab0" bash -c "ip -4 addr show dev lab0 | grep -q 'inet $IP/24'"
ok "LIO network portal $IP:3260" test -d "$NP"
ok "no blocking table left after start" bash -c "! nft list tables 2>/dev/null | grep -q lioha_portal"
ok "portal answers on TCP" tcp_probe $IP 3260
ok "iscsid" lab_iscsid
ok "discovery through the portal address" bash -c "iscsiadm -m discovery -t sendtargets -p $IP:3260 | grep -q '$IP:3260,1 $IQN'"
ok "start again is a no-op success" p_agent start
ok "stop" timed portal_stop_ms p_agent stop
ok "monitor after stop = 7" agent_rc_is 7 p_agent monitor
ok "address gone" bash -c "! ip -4 addr show dev lab0 | grep -q '$IP'"
ok "network portal gone, target untouched" bash -c "test ! -e '$NP' && test -d /sys/kernel/config/target/iscsi/$IQN/tpgt_1"
ok "no blocking table left after stop" bash -c "! nft list tables 2>/dev/null | grep -q lioha_portal"
ok "stop again succeeds" p_agent stop
for i in 1 2 3; do timed portal_start_ms p_agent start >/dev/null 2>&1; timed portal_stop_ms p_agent stop >/dev/null 2>&1; timed node_bare_start_ms node -e 0; done
ok "targetctl clear" targetctl clear
finish
