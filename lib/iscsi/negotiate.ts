/**
 * Target-side answers to the operational keys of a login (RFC 7143 13).
 * Discovery sessions answer the keys that do not apply to them with
 * "Irrelevant", as LIO does; unknown keys get "NotUnderstood".
 */
import type { KeyValue } from './text.js';

export type SessionType = 'Discovery' | 'Normal';

export interface Negotiated {
  headerDigest: boolean;
  dataDigest: boolean;
  /** What the initiator can receive (its declaration; 8192 until it says otherwise). */
  initiatorMaxRecvDataSegmentLength: number;
}

/** Keys answered elsewhere (login identity, security) or needing no answer. */
const NO_ANSWER = new Set(['InitiatorName', 'InitiatorAlias', 'TargetName', 'SessionType', 'TargetAlias', 'MaxRecvDataSegmentLength']);
const SECURITY = new Set(['AuthMethod', 'CHAP_A', 'CHAP_I', 'CHAP_C', 'CHAP_N', 'CHAP_R']);
/**
 * RFC 7143 13's "Irrelevant when: SessionType=Discovery" keys. ErrorRecoveryLevel is not one of them: it is
 * negotiated in discovery sessions too, and open-iscsi fails a discovery login whose answer is not "0".
 */
const IRRELEVANT_FOR_DISCOVERY = new Set([
  'MaxConnections', 'InitialR2T', 'ImmediateData', 'MaxBurstLength', 'FirstBurstLength',
  'MaxOutstandingR2T', 'DataPDUInOrder', 'DataSequenceInOrder',
]);

/** RFC 7143 6.1 numerical values: decimal, or 0x hex, at most 2^32-1 here. */
export function parseNumber(v: string): number | undefined {
  if (/^[0-9]{1,10}$/.test(v)) {
    const n = Number(v);
    return n <= 0xffffffff ? n : undefined;
  }
  if (/^0[xX][0-9a-fA-F]{1,8}$/.test(v)) return Number.parseInt(v.slice(2), 16);
  return undefined;
}

type Answer = string | undefined;

function numeric(v: string, min: number, max: number, pick: (theirs: number) => number): Answer {
  const n = parseNumber(v);
  if (n === undefined || n < min || n > max) return 'Reject';
  return String(pick(n));
}

function bool(v: string, ours: boolean, fn: 'and' | 'or'): Answer {
  if (v !== 'Yes' && v !== 'No') return 'Reject';
  const theirs = v === 'Yes';
  return (fn === 'and' ? theirs && ours : theirs || ours) ? 'Yes' : 'No';
}

function digestChoice(v: string): Answer {
  for (const item of v.split(',')) if (item === 'None' || item === 'CRC32C') return item;
  return 'Reject';
}

export class OperationalNegotiation {
  readonly result: Negotiated = { headerDigest: false, dataDigest: false, initiatorMaxRecvDataSegmentLength: 8192 };
  private declaredOurs = false;

  constructor(
    private readonly sessionType: SessionType,
    private readonly ourMaxRecvDataSegmentLength: number,
  ) {}

  /** Answers for one request's operational keys (security keys are skipped). */
  answer(pairs: readonly KeyValue[]): KeyValue[] {
    const out: KeyValue[] = [];
    for (const [k, v] of pairs) {
      if (SECURITY.has(k)) continue;
      if (k === 'MaxRecvDataSegmentLength') {
        const n = parseNumber(v);
        if (n !== undefined && n >= 512 && n <= 0xffffff) this.result.initiatorMaxRecvDataSegmentLength = n;
        else out.push([k, 'Reject']);
        continue;
      }
      if (NO_ANSWER.has(k)) continue;
      if (this.sessionType === 'Discovery' && IRRELEVANT_FOR_DISCOVERY.has(k)) {
        out.push([k, 'Irrelevant']);
        continue;
      }
      const a = this.one(k, v);
      if (a !== undefined) out.push([k, a]);
    }
    return out;
  }

  /** Our own declaration, sent once in the operational stage. */
  declarations(): KeyValue[] {
    if (this.declaredOurs) return [];
    this.declaredOurs = true;
    return [['MaxRecvDataSegmentLength', String(this.ourMaxRecvDataSegmentLength)]];
  }

  private one(k: string, v: string): Answer {
    switch (k) {
      case 'HeaderDigest': {
        const a = digestChoice(v);
        this.result.headerDigest = a === 'CRC32C';
        return a;
      }
      case 'DataDigest': {
        const a = digestChoice(v);
        this.result.dataDigest = a === 'CRC32C';
        return a;
      }
      case 'MaxConnections':
        return numeric(v, 1, 65535, () => 1);
      case 'InitialR2T':
        return bool(v, true, 'or');
      case 'ImmediateData':
        return bool(v, true, 'and');
      case 'MaxBurstLength':
        return numeric(v, 512, 0xffffff, (n) => Math.min(n, 262144));
      case 'FirstBurstLength':
        return numeric(v, 512, 0xffffff, (n) => Math.min(n, 65536));
      case 'DefaultTime2Wait':
        return numeric(v, 0, 3600, (n) => Math.max(n, 2));
      case 'DefaultTime2Retain':
        return numeric(v, 0, 3600, (n) => Math.min(n, 20));
      case 'MaxOutstandingR2T':
        return numeric(v, 1, 65535, () => 1);
      case 'DataPDUInOrder':
      case 'DataSequenceInOrder':
        return bool(v, true, 'or');
      case 'ErrorRecoveryLevel':
        return numeric(v, 0, 2, () => 0);
      case 'IFMarker':
      case 'OFMarker':
        return bool(v, false, 'and');
      case 'IFMarkInt':
      case 'OFMarkInt':
        return 'Reject';
      default:
        return 'NotUnderstood';
    }
  }
}
