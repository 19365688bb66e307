# A one-node Pacemaker cluster inside the guest, started by hand (sourced after lib.sh).
# No systemd: corosync and pacemakerd are run directly; the CIB is pre-seeded so the node comes up fast
# (dc-deadtime=2s) without fencing. The lioha agents are exposed from the repo share's dist/.
lab_cluster_up() {
  mkdir -p /etc/corosync /var/log/cluster /var/lib/pacemaker/cib /run/crm /usr/lib/ocf/resource.d
  ln -sfn "$LAB_AGENTS" /usr/lib/ocf/resource.d/lioha
  . "$LAB_REPO/test/pacemaker/cluster-files.sh"
  pcmk_write_corosync_conf lab /var/log/cluster/corosync.log lab=127.0.0.1
  PCMK_SCHEMA=pacemaker-3.0 PCMK_FEATURE_SET=3.0.0 PCMK_STICKINESS=100 pcmk_write_cib \
    '<nvpair id="o-quorum" name="no-quorum-policy" value="ignore"/>' \
    '<nvpair id="o-recheck" name="cluster-recheck-interval" value="1min"/>'
  chown -R hacluster:haclient /var/lib/pacemaker /var/log/cluster 2>/dev/null
  corosync || return 1
  (PCMK_logfile=/var/log/cluster/pacemaker.log pacemakerd >/dev/null 2>&1 &)
  lab_wait_online
}
lab_wait_online() {
  local i; for i in $(seq 300); do
    crm_mon -1 2>/dev/null | grep -q 'Online: \[ lab \]' && return 0
    sleep 0.2
  done; crm_mon -1; return 1
}
# lab_wait_rsc RSC started|stopped [seconds]: the cluster has settled (no action in flight) with RSC so
lab_wait_rsc() {
  crm_resource --wait --timeout="${3:-120}s" >/dev/null 2>&1
  local i want=$2 n=$(( ${3:-120} * 5 )); for i in $(seq $n); do
    local s; s=$(crm_resource --locate -r "$1" 2>&1)
    case $want in
      started) grep -q 'is running on: lab' <<<"$s" && return 0 ;;
      stopped) grep -q 'is NOT running' <<<"$s" && return 0 ;;
    esac
    sleep 0.2
  done; crm_mon -1 -r; return 1
}
# wait_tcp HOST PORT SECONDS: until something accepts connections there
wait_tcp() { local i; for i in $(seq $(( $3 * 5 ))); do tcp_open "$1" "$2" && return 0; sleep 0.2; done; return 1; }
# tcp_open HOST PORT: can we connect? (bash /dev/tcp, no extra tools)
tcp_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
