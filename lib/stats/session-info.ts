/**
 * Parser for an ACL's `info` attribute (lio_target_nacl_info_show): either
 * "No active iSCSI Session for Initiator Endpoint: <iqn>" or the session with
 * its connections. Pure.
 */
export interface IscsiConnection {
  cid: number;
  state: string;
  /** Initiator address as the kernel prints it (%pISc). */
  address?: string;
  transport?: string;
}
export interface IscsiSession {
  initiator: string;
  alias?: string;
  sid?: number;
  isid?: string;
  tsih?: number;
  type: 'Normal' | 'Discovery' | string;
  state: string;
  connections: IscsiConnection[];
}

export function parseAclInfo(text: string): IscsiSession | undefined {
  if (/No active iSCSI Session/.test(text)) return undefined;
  const name = /InitiatorName:\s*(\S+)/.exec(text)?.[1];
  if (!name) return undefined;
  const alias = /InitiatorAlias:[ \t]*(.*)/.exec(text)?.[1]?.trim();
  const sid = /LIO Session ID:\s*(\d+)/.exec(text)?.[1];
  const isid = /ISID:\s*0x([0-9a-fA-F ]+?)\s+TSIH/.exec(text)?.[1]?.replace(/\s+/g, '');
  const tsih = /TSIH:\s*(\d+)/.exec(text)?.[1];
  const type = /SessionType:\s*(\S+)/.exec(text)?.[1] ?? 'Normal';
  const state = /Session State:\s*(\S+)/.exec(text)?.[1] ?? 'unknown';
  const connections: IscsiConnection[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /CID:\s*(\d+)\s+Connection State:\s*(\S+)/.exec(lines[i]!);
    if (!m) continue;
    const a = /Address\s+(\S+)\s+(\S+)/.exec(lines[i + 1] ?? '');
    connections.push({
      cid: Number(m[1]),
      state: m[2]!,
      ...(a ? { address: a[1]!, transport: a[2]! } : {}),
    });
  }
  return {
    initiator: name,
    ...(alias ? { alias } : {}),
    ...(sid ? { sid: Number(sid) } : {}),
    ...(isid ? { isid } : {}),
    ...(tsih ? { tsih: Number(tsih) } : {}),
    type,
    state,
    connections,
  };
}

/** `dynamic_sessions`: initiator names of sessions without an ACL, each followed by "\n" and a NUL. */
export function parseDynamicSessions(text: string | undefined): string[] {
  if (!text) return [];
  return text.split(/[\n\0]+/).map((s) => s.trim()).filter(Boolean);
}
