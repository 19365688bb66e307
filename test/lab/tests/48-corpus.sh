#!/bin/bash
# lab-timeout: 1500
# Every saveconfig corpus file on the real kernel (issue 16: handle the schema, not the samples), prepared on the
# host by 48-corpus.prepare.ts: the agent starts the file's iSCSI targets (one resource owning all of them), its
# depth-10 monitor passes, `lioha target save` writes them, stop leaves nothing; then `targetctl restore` builds
# the same targets from the same file, and `targetctl save` writes them. The host (corpus.lab.ts) compares the two
# trees object by object and the two saved documents up to list order, file by file.
. "$LAB_REPO/test/lab/guest/lib.sh"
. "$LAB_REPO/test/lab/guest/storage.sh"
. "$LAB_REPO/test/lab/guest/target.sh"
P="$T/prepared"
LIOHA="$LAB_REPO/dist/bin/lioha"
if ! have_agent target; then skip "target agent" "not built in dist/"; finish; fi
ok "prepared corpus (48-corpus.prepare.ts)" test -s "$P/files.tsv"
. "$P/setup.env"
corpus_vg() {
  modprobe dm_mod && lab_lvm_conf && pvcreate -q -y /dev/vdb >/dev/null && vgcreate -q labvg /dev/vdb >/dev/null || return 1
  local i; for ((i = 0; i < CORPUS_LVS; i++)); do lvcreate -q -y -Wn -Zn -L 8M -n "c$i" labvg >/dev/null || return 1; done
  vgmknodes labvg >/dev/null
}
ok "labvg with $CORPUS_LVS LVs for the block storage objects" corpus_vg
ok "LIO modules load" lab_lio_modules
# The files' own portal addresses, on an interface of this VM only (no network leaves it).
corpus_addresses() {
  modprobe dummy && ip link add corpus0 type dummy && ip link set corpus0 up || return 1
  local a; for a in $CORPUS_ADDRESSES; do
    case $a in *:*) ip -6 addr add "$a/128" dev corpus0 nodad ;; *) ip addr add "$a/32" dev corpus0 ;; esac || return 1
  done
}
ok "portal addresses on a dummy interface: $CORPUS_ADDRESSES" corpus_addresses
# iSER portals need an RDMA device: soft RoCE (rdma_rxe) on the dummy interface gives the VM one.
ok "soft RoCE device on the dummy interface (for iSER portals)" bash -c 'modprobe rdma_rxe && rdma link add rxe0 type rxe netdev corpus0 && modprobe ib_isert'
mkdir -p /etc/target
while IFS=$'\t' read -r id iqns derive; do
  [ -n "$id" ] || continue
  d="$T/$id"; mkdir -p "$d" "/srv/corpus/$id"
  cfg=/etc/target/corpus-$id.json
  install -m 0600 "$P/$id/agent.json" "$cfg"
  run() { if [ "$derive" = true ]; then agent target "$1" iqn="$iqns" config="$cfg" derive_wwn=true; else agent target "$1" iqn="$iqns" config="$cfg"; fi; }
  monitor10() { OCF_CHECK_LEVEL=10 run monitor; }
  ok "$id: validate-all" run validate-all
  ok "$id: agent start" run start
  ok "$id: agent monitor depth 10" monitor10
  lab_lio_tree "$d/tree-agent.txt"
  # shellcheck disable=SC2086
  ok "$id: lioha target save" "$LIOHA" target save --iqn $iqns -o "$d/lioha-saved.json"
  ok "$id: agent stop" run stop
  ok "$id: nothing left after the agent's stop" lab_lio_empty
  rm -rf "/srv/corpus/$id"/*
  ok "$id: targetctl restore" targetctl restore "$P/$id/targetctl.json"
  lab_lio_tree "$d/tree-targetctl.txt"
  ok "$id: targetctl save" targetctl save "$d/targetctl-saved.json"
  ok "$id: targetctl clear" targetctl clear
  ok "$id: nothing left after targetctl clear" lab_lio_empty
done < "$P/files.tsv"
finish
