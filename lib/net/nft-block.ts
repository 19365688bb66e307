/**
 * nftables rules that drop new TCP connections (SYN without ACK) to the
 * portal while it comes up or goes down, so initiators retransmit instead of
 * receiving a reset from a port nobody listens on yet. One table per
 * resource instance: installing and removing it are single atomic `nft -f`
 * transactions, and they never touch anybody else's rules. Pure builders.
 */
/** What a block is about: the portal address and port. */
export interface BlockedPortal {
  ip: { family: 4 | 6 };
  ipText: string;
  port: number;
}

export function blockTableName(instance: string): string {
  // nft identifiers: letters, digits, "_"; a resource id may contain "-" or ".".
  return `lioha_portal_${instance.replace(/[^A-Za-z0-9_]/g, '_')}`.slice(0, 64);
}

/** Replaces the table wholesale (declare, flush by deletion, recreate): idempotent. */
export function blockScript(cfg: BlockedPortal, instance: string): string {
  const t = blockTableName(instance);
  const daddr = cfg.ip.family === 4 ? `ip daddr ${cfg.ipText}` : `ip6 daddr ${cfg.ipText}`;
  return [
    `table inet ${t}`,
    `delete table inet ${t}`,
    `table inet ${t} {`,
    '  chain input {',
    // Ahead of ordinary filter chains so an accept there cannot let the SYN through.
    '    type filter hook input priority filter - 10; policy accept;',
    `    ${daddr} tcp dport ${cfg.port} tcp flags & (syn | ack) == syn counter drop comment "lioha portal ${instance}"`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Removes the table if it exists (declaring it first makes the delete idempotent). */
export function unblockScript(instance: string): string {
  const t = blockTableName(instance);
  return `table inet ${t}\ndelete table inet ${t}\n`;
}
