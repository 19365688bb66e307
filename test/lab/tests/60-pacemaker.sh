#!/bin/bash
# The lioha agents under a real Pacemaker (one node, started by hand in the guest): resources created in the
# CIB, started and monitored by the cluster, restarted; timings of the restart and of the portal's outage.
# Grows with the agents on main: dummy (foundation) always; target when built (then the iSCSI portal's
# outage during a restart is measured from the initiator's side: TCP 127.0.0.1:3260 down -> up).
. "$LAB_REPO/test/lab/guest/lib.sh"
. "$LAB_REPO/test/lab/guest/storage.sh"
. "$LAB_REPO/test/lab/guest/pacemaker.sh"
. "$LAB_REPO/test/lab/guest/target.sh"
ok "corosync + pacemaker up, node online" timed cluster_online_ms lab_cluster_up
ok "lioha agents visible to Pacemaker" quiet crm_resource --show-metadata ocf:lioha:dummy
ok "create ocf:lioha:dummy" cibadmin -C -o resources -X '<primitive id="lab-dummy" class="ocf" provider="lioha" type="dummy"><operations><op id="lab-dummy-mon" name="monitor" interval="10s" timeout="60s"/></operations></primitive>'
ok "dummy started by the cluster" timed dummy_start_ms lab_wait_rsc lab-dummy started
ok "dummy restart" timed dummy_restart_ms crm_resource --restart -r lab-dummy --timeout=120s
ok "dummy running after restart" lab_wait_rsc lab-dummy started
if have_agent target; then
  IQN=iqn.2016-09.com.example:iscsitgt01
  lab_target_config
  ok "labvg with 4 LUN LVs" lab_vg
  ok "LIO modules load" lab_lio_modules
  ok "create ocf:lioha:target" cibadmin -C -o resources -X "<primitive id=\"lab-target\" class=\"ocf\" provider=\"lioha\" type=\"target\"><instance_attributes id=\"lab-target-ia\"><nvpair id=\"lab-target-iqn\" name=\"iqn\" value=\"$IQN\"/></instance_attributes><operations><op id=\"lab-target-start\" name=\"start\" interval=\"0\" timeout=\"120s\"/><op id=\"lab-target-stop\" name=\"stop\" interval=\"0\" timeout=\"120s\"/><op id=\"lab-target-mon\" name=\"monitor\" interval=\"10s\" timeout=\"60s\"/></operations></primitive>"
  ok "target started by the cluster" timed target_cluster_start_ms lab_wait_rsc lab-target started
  ok "portal answers" wait_tcp 127.0.0.1 3260 60
  if ! tcp_open 127.0.0.1 3260; then skip "restart timing" "portal never answered"; crm_mon -1 -r -f | tee "$T/crm_mon.txt"; finish; fi
  # restart, measuring from the initiator's side when the portal goes away and when it answers again
  s=$(now_ms)
  crm_resource --restart -r lab-target --timeout=180s & rpid=$!
  down=; up=
  for i in $(seq 1500); do
    if [ -z "$down" ]; then tcp_open 127.0.0.1 3260 || down=$(now_ms)
    else tcp_open 127.0.0.1 3260 && { up=$(now_ms); break; }; fi
    sleep 0.05
  done
  wait $rpid; rrc=$?
  metric target_restart_total_ms $(( $(now_ms) - s )) ms
  [ -n "$down" ] && [ -n "$up" ] && metric portal_outage_ms $(( up - down )) ms
  ok "target restart through the cluster" test "$rrc" = 0
  ok "portal went down and came back" test -n "$down" -a -n "$up"
  ok "monitor through the cluster is clean" bash -c "! crm_mon -1 | grep -qi 'failed'"
  ok "stop target through the cluster" crm_resource --resource lab-target --set-parameter target-role --meta --parameter-value Stopped
  ok "target stopped" timed target_cluster_stop_ms lab_wait_rsc lab-target stopped
  ok "nothing left after the cluster stopped it" lab_lio_empty
else
  skip "target under Pacemaker" "target agent not built"
fi
crm_mon -1 -r -f | tee "$T/crm_mon.txt"
finish
