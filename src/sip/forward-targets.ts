import type Srf from 'drachtio-srf';
import type { CalltrackConfig, TrunkConfig } from '../config/schema.js';
import type { Attribution } from '../tracking/attribution-types.js';
import { forwardOptions, targetUri } from './forward-request.js';
import type { InboundCallInfo } from './inbound-call.js';

export interface ForwardTarget {
  number: string;
  uri: string;
  opts: Srf.UacOptions;
}

/** The failover list: every forwardTo number through the trunk's outbound template, in order. */
export function forwardTargets(
  cfg: CalltrackConfig,
  trunk: TrunkConfig,
  attribution: Attribution,
  info: InboundCallInfo,
  callId: string,
  offer: string,
): ForwardTarget[] {
  const unknown = attribution.type === 'unknown';
  return [...new Set(attribution.forwardTo)].map((number) => ({
    number,
    uri: targetUri(trunk, number),
    opts: forwardOptions(cfg.sip, trunk, {
      callId,
      caller: info.caller,
      callerIsE164: info.callerIsE164,
      callerName: info.callerName,
      attribution: unknown ? null : attribution,
    }, offer),
  }));
}
