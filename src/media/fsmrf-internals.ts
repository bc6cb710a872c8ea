import { createRequire } from 'node:module';
import Mrf from 'drachtio-fsmrf';

export interface FsmrfInternals {
  Mrf: typeof Mrf;
  EslConnection: Mrf.EslConnectionConstructor;
  MediaServer: Mrf.MediaServerConstructor;
}

/**
 * drachtio-fsmrf's own MediaServer and the drachtio-modesl Connection it was built with.
 * calltrack builds the MediaServer itself instead of calling mrf.connect(): when that first
 * connection fails, modesl keeps retrying in the background and later builds a MediaServer
 * nobody owns (which, with a fixed listen port, dies on EADDRINUSE). Loaded on demand, never at import.
 */
export function loadFsmrfInternals(): FsmrfInternals {
  const fromFsmrf = createRequire(createRequire(import.meta.url).resolve('drachtio-fsmrf'));
  const modesl = fromFsmrf('drachtio-modesl') as { Connection: Mrf.EslConnectionConstructor };
  return { Mrf, EslConnection: modesl.Connection, MediaServer: fromFsmrf('./mediaserver.js') as Mrf.MediaServerConstructor };
}
