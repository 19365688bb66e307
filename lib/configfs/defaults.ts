/**
 * What the kernel puts in a TPG or a node ACL the moment it is created (mkdir),
 * recorded from a real Linux 6.1 LIO tree (test/fixtures/target/configfs-tree-6.1.txt,
 * the same recording the emulator's templates come from). For a fresh object the
 * planner compares the wanted value with these instead of reading each attribute
 * back (a saveconfig.json lists ~40 of them per TPG and ACL): equal means no
 * operation, different means a plain write.
 *
 * Storage objects have no table: their attributes depend on the backing device
 * (block size, write cache, queue limits), so they are still read first.
 * A kernel whose defaults differ is caught by start's verification, which then
 * writes what is missing (see agents/target): the table saves work, never correctness.
 *
 * Only what every recorded kernel (6.1 and 6.12, kernel-trees.ts) creates with the same value is
 * listed: netif_timeout is gone from 6.12 TPGs, so it is read first ('ensure') and, where the
 * kernel lacks it, skipped and reported like any other missing attribute.
 */

export const FRESH_TPG_ATTRIB: Readonly<Record<string, string>> = {
  authentication: '1',
  cache_dynamic_acls: '0',
  default_cmdsn_depth: '64',
  default_erl: '0',
  demo_mode_discovery: '1',
  demo_mode_write_protect: '1',
  fabric_prot_type: '0',
  generate_node_acls: '0',
  login_keys_workaround: '1',
  login_timeout: '15',
  prod_mode_write_protect: '0',
  t10_pi: '0',
  tpg_enabled_sendtargets: '1',
};

export const FRESH_TPG_PARAM: Readonly<Record<string, string>> = {
  AuthMethod: 'CHAP,None',
  DataDigest: 'CRC32C,None',
  DataPDUInOrder: 'Yes',
  DataSequenceInOrder: 'Yes',
  DefaultTime2Retain: '20',
  DefaultTime2Wait: '2',
  ErrorRecoveryLevel: '0',
  FirstBurstLength: '65536',
  HeaderDigest: 'CRC32C,None',
  IFMarkInt: 'Reject',
  IFMarker: 'No',
  ImmediateData: 'Yes',
  InitialR2T: 'Yes',
  MaxBurstLength: '262144',
  MaxConnections: '1',
  MaxOutstandingR2T: '1',
  MaxRecvDataSegmentLength: '8192',
  MaxXmitDataSegmentLength: '262144',
  OFMarkInt: 'Reject',
  OFMarker: 'No',
  TargetAlias: 'LIO Target',
};

export const FRESH_ACL_ATTRIB: Readonly<Record<string, string>> = {
  authentication: '-1',
  dataout_timeout: '3',
  dataout_timeout_retries: '5',
  default_erl: '0',
  nopin_response_timeout: '30',
  nopin_timeout: '15',
  random_datain_pdu_offsets: '0',
  random_datain_seq_offsets: '0',
  random_r2t_offsets: '0',
};

export const FRESH_ACL_CMDSN_DEPTH = '64';

/** CHAP credentials of a fresh TPG or ACL are empty. */
export const FRESH_AUTH = '';
