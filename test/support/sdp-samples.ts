/** Minimal G.711 offers/answers for media tests: the caller's and the target's side of a call. */
export const CALLER_OFFER = 'v=0\r\no=caller 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 6380 RTP/AVP 0\r\n';
export const CALLEE_ANSWER = 'v=0\r\no=callee 1 1 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\nm=audio 6390 RTP/AVP 0\r\n';
