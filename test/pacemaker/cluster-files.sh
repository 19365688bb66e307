# The one writer of corosync.conf and the pre-seeded CIB for every test cluster (sourced):
# test/pacemaker/inner.sh (one node), test/pacemaker/node.sh (two nodes) and the lab guest
# (test/lab/guest/pacemaker.sh). No systemd anywhere: corosync and pacemakerd run by hand.

# pcmk_write_corosync_conf CLUSTER LOGFILE NAME=ADDR... ; env: PCMK_TOKEN (ms), PCMK_TWO_NODE=1
# A newline after every '{': corosync's parser wants it.
pcmk_write_corosync_conf() {
  local cluster=$1 logfile=$2 id=0 spec
  shift 2
  {
    printf 'totem {\n    version: 2\n    cluster_name: %s\n    transport: knet\n    crypto_cipher: none\n    crypto_hash: none\n' "$cluster"
    [ -n "${PCMK_TOKEN:-}" ] && printf '    token: %s\n' "$PCMK_TOKEN"
    printf '}\nnodelist {\n'
    for spec in "$@"; do
      id=$((id + 1))
      printf '    node {\n        ring0_addr: %s\n        name: %s\n        nodeid: %s\n    }\n' "${spec#*=}" "${spec%%=*}" "$id"
    done
    printf '}\nquorum {\n    provider: corosync_votequorum\n'
    [ "${PCMK_TWO_NODE:-0}" = 1 ] && printf '    two_node: 1\n'
    printf '}\nlogging {\n    to_logfile: yes\n    logfile: %s\n    to_syslog: no\n    to_stderr: no\n    timestamp: on\n}\n' "$logfile"
  } > /etc/corosync/corosync.conf
}

# pcmk_write_cib [NVPAIR_XML...] : the pre-seeded CIB, no fencing device, short DC election wait.
# env: PCMK_SCHEMA (default pacemaker-3.9), PCMK_FEATURE_SET (default: none, Pacemaker fills in its
# own; a newer one would be refused), PCMK_STICKINESS (resource-stickiness default, none if unset).
pcmk_write_cib() {
  local nv
  mkdir -p /var/lib/pacemaker/cib
  {
    printf '<cib %svalidate-with="%s" epoch="1" num_updates="0" admin_epoch="0">\n' \
      "${PCMK_FEATURE_SET:+crm_feature_set=\"$PCMK_FEATURE_SET\" }" "${PCMK_SCHEMA:-pacemaker-3.9}"
    printf '  <configuration>\n    <crm_config>\n      <cluster_property_set id="cib-bootstrap-options">\n'
    printf '        <nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/>\n'
    printf '        <nvpair id="cib-bootstrap-options-dc-deadtime" name="dc-deadtime" value="2s"/>\n'
    for nv in "$@"; do printf '        %s\n' "$nv"; done
    printf '      </cluster_property_set>\n    </crm_config>\n    <nodes/>\n    <resources/>\n    <constraints/>\n'
    if [ -n "${PCMK_STICKINESS:-}" ]; then
      printf '    <rsc_defaults>\n      <meta_attributes id="rsc-options">\n'
      printf '        <nvpair id="o-stickiness" name="resource-stickiness" value="%s"/>\n' "$PCMK_STICKINESS"
      printf '      </meta_attributes>\n    </rsc_defaults>\n'
    fi
    printf '  </configuration>\n  <status/>\n</cib>\n'
  } > /var/lib/pacemaker/cib/cib.xml
  chown hacluster:haclient /var/lib/pacemaker/cib/cib.xml 2>/dev/null || true
  chmod 0600 /var/lib/pacemaker/cib/cib.xml
}
