#!/usr/bin/env python3
"""Writes a saveconfig.json with one target of N ramdisk LUNs and M CHAP ACLs, each ACL mapping every LUN
(N x M mapped LUNs), for the speed comparison with targetctl at scale (issue 17). TPG attributes and
parameters come from a base saveconfig (the lab's lab-4lun.json, as targetctl saved it on the lab's kernel),
so both tools are given what that kernel wrote. Ramdisks need no block devices: the same file runs on the
real kernel in the lab and on the host's configfs emulator (bench:target).

  big-config.py BASE.json OUT.json [luns=32] [acls=32]
"""
import json
import os
import sys

base_path, out_path = sys.argv[1], sys.argv[2]
luns = int(sys.argv[3]) if len(sys.argv) > 3 else 32
acls = int(sys.argv[4]) if len(sys.argv) > 4 else 32
base = json.load(open(base_path))
tpl_target = base["targets"][0]
tpl_tpg = tpl_target["tpgs"][0]
tpl_acl = tpl_tpg["node_acls"][0]
iqn = tpl_target["wwn"]

storage_objects = [
    {"plugin": "ramdisk", "name": f"rd{i}", "size": 262144, "nullio": False, "attributes": {}, "wwn": f"{i:08x}-1e17-4a5a-8c00-5a3c0de00017"}
    for i in range(luns)
]
tpg = {
    "tag": 1,
    "enable": True,
    "attributes": tpl_tpg["attributes"],
    "parameters": tpl_tpg["parameters"],
    "portals": tpl_tpg["portals"],
    "luns": [{"index": i, "storage_object": f"/backstores/ramdisk/rd{i}"} for i in range(luns)],
    "node_acls": [
        {
            "node_wwn": f"iqn.1994-05.com.example:initiator{a:02d}",
            "attributes": tpl_acl["attributes"],
            "chap_userid": f"user{a}",
            "chap_password": f"secret{a:02d}pw",
            "chap_mutual_userid": f"tgt{a}",
            "chap_mutual_password": f"mutual{a:02d}pw",
            "mapped_luns": [{"index": i, "tpg_lun": i, "write_protect": False} for i in range(luns)],
        }
        for a in range(acls)
    ],
}
out = {"storage_objects": storage_objects, "targets": [{"fabric": "iscsi", "wwn": iqn, "tpgs": [tpg]}]}
fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    json.dump(out, f, indent=2)
os.chmod(out_path, 0o600)
