// SDP ⇄ mediasoup for WHIP and WHEP, on sdp-transform and mediasoup-client's own SDP and ORTC
// helpers: the same code that turns a browser's offer into producer parameters and writes
// mediasoup's answer in every mediasoup-client, run here on the server's side of the offer.
import sdpTransform, { type MediaDescription, type SessionDescription } from 'sdp-transform';
import * as ortc from 'mediasoup-client/ortc';
import { RemoteSdp } from 'mediasoup-client/handlers/sdp/RemoteSdp';
import { extractDtlsParameters, extractRtpCapabilities, getCname } from 'mediasoup-client/handlers/sdp/commonUtils';
import { getRtpEncodings } from 'mediasoup-client/handlers/sdp/unifiedPlanUtils';
import type { DtlsParameters, RtpCapabilities, RtpParameters } from 'mediasoup-client/types';
import type { TransportParams } from '@vilokanam/sfu-node/client';
import { HttpError as WhipError } from '../http/errors.ts';

export type MediaKind = 'audio' | 'video';

export interface OfferMedia {
  mid: string;
  kind: MediaKind;
  object: MediaDescription;
}

export interface ParsedOffer {
  sdp: SessionDescription;
  /** The offerer's capabilities, in its own payload types and extension ids. */
  caps: RtpCapabilities;
  /** The offerer's DTLS fingerprints; it takes the client role (we answer a=setup:passive). */
  dtls: DtlsParameters;
  media: OfferMedia[];
  /** The offerer's ICE username fragment: a PATCH carrying another one is an ICE restart. */
  iceUfrag: string | undefined;
}

/** Parses an offer and checks it can be used at all: BUNDLEd audio/video, DTLS, mids. */
export function parseOffer(text: string): ParsedOffer {
  let sdp: SessionDescription;
  let caps: RtpCapabilities;
  let dtls: DtlsParameters;
  try {
    sdp = sdpTransform.parse(text);
    caps = extractRtpCapabilities({ sdpObject: sdp });
    dtls = extractDtlsParameters({ sdpObject: sdp });
  } catch (err) {
    throw new WhipError(422, 'bad_request', `the offer is not usable SDP: ${(err as Error).message}`);
  }
  if (!sdp.media?.length) throw new WhipError(422, 'bad_request', 'the offer has no media');
  const media: OfferMedia[] = [];
  for (const m of sdp.media) {
    if (m.type !== 'audio' && m.type !== 'video') continue;
    if (m.mid === undefined) throw new WhipError(422, 'bad_request', 'every media section needs a mid');
    if (m.port === 0) continue;
    media.push({ mid: String(m.mid), kind: m.type, object: m });
  }
  if (media.length === 0) throw new WhipError(422, 'bad_request', 'the offer has no audio or video');
  if (!dtls.fingerprints?.length) throw new WhipError(422, 'bad_request', 'the offer has no DTLS fingerprint');
  // The offerer answers our passive setup by being the DTLS client.
  const iceUfrag = sdp.iceUfrag ?? sdp.media.find((m) => m.iceUfrag)?.iceUfrag;
  return { sdp, caps, dtls: { role: 'client', fingerprints: dtls.fingerprints }, media, iceUfrag: iceUfrag === undefined ? undefined : String(iceUfrag) };
}

/** A publisher's offer sends in every section it has. */
export function assertSends(offer: ParsedOffer): void {
  const idle = offer.media.find((m) => m.object.direction === 'recvonly' || m.object.direction === 'inactive');
  if (idle) throw new WhipError(422, 'bad_request', `media section ${idle.mid} does not send`);
}

/** Router capabilities in mediasoup-client's shape, for the ORTC matching. */
function routerCaps(caps: unknown): RtpCapabilities {
  return caps as RtpCapabilities;
}

/**
 * A publisher's media: what to produce for each offered section (the offerer's payload types,
 * its rids for simulcast or its SSRCs), and the answer mediasoup gives.
 */
export function publisherPlan(offer: ParsedOffer, routerRtpCapabilities: unknown): { mid: string; kind: MediaKind; rtpParameters: RtpParameters; answer: RtpParameters }[] {
  const extended = ortc.getExtendedRtpCapabilities(offer.caps, routerCaps(routerRtpCapabilities), true);
  return offer.media.map(({ mid, kind, object }) => {
    if (!ortc.canSend(kind, ortc.getSendRtpCapabilities(extended))) throw new WhipError(422, 'bad_request', `no ${kind} codec in common with this server`);
    // The offer's first codec we share is the one it sends; a producer lists only it (and its RTX).
    const rtpParameters = ortc.getSendingRtpParameters(kind, extended);
    rtpParameters.codecs = ortc.reduceCodecs(rtpParameters.codecs);
    const answer = ortc.getSendingRemoteRtpParameters(kind, extended);
    answer.codecs = ortc.reduceCodecs(answer.codecs);
    rtpParameters.mid = mid;
    rtpParameters.rtcp = { cname: getCname({ offerMediaObject: object }), reducedSize: true };
    const rids = (object.rids ?? []).filter((r) => r.direction === 'send');
    // Simulcast by rid (browsers, OBS 32.1): one encoding per rid, lowest layer first as listed.
    rtpParameters.encodings = rids.length ? rids.map((r) => ({ rid: String(r.id) })) : sectionEncodings(mid, object, rtpParameters);
    return { mid, kind, rtpParameters, answer };
  });
}

/** A section without rids sends what its SSRC lines say; without those it sends nothing we can take. */
function sectionEncodings(mid: string, object: ParsedOffer['media'][number]['object'], rtpParameters: RtpParameters): RtpParameters['encodings'] {
  try {
    return getRtpEncodings({ offerMediaObject: object, codecs: rtpParameters.codecs });
  } catch (err) {
    throw new WhipError(422, 'bad_request', `media section ${mid} has neither a=rid nor usable a=ssrc lines (${(err as Error).message})`);
  }
}

/** Our side of the transport, as an answer: ICE-lite, passive DTLS. */
function remoteSdp(transport: TransportParams): RemoteSdp {
  const dtls = transport.dtlsParameters as DtlsParameters;
  return new RemoteSdp({
    iceParameters: transport.iceParameters as never,
    iceCandidates: transport.iceCandidates as never,
    dtlsParameters: { ...dtls, role: 'server' },
  });
}

export function publisherAnswer(offer: ParsedOffer, transport: TransportParams, plan: ReturnType<typeof publisherPlan>): string {
  const sdp = remoteSdp(transport);
  for (const p of plan) {
    const media = offer.media.find((m) => m.mid === p.mid)!;
    sdp.send({ offerMediaObject: media.object, offerRtpParameters: p.rtpParameters, answerRtpParameters: p.answer, codecOptions: {} });
  }
  return withRejected(sdp.getSdp(), offer);
}

/**
 * A viewer's answer: one sendonly section per offered section we have a consumer for, in the
 * offer's order and under its mids, and a rejected one for the rest.
 */
export function viewerAnswer(offer: ParsedOffer, transport: TransportParams, consumers: { mid: string; kind: MediaKind; id: string; rtpParameters: unknown }[]): string {
  const sdp = remoteSdp(transport);
  for (const c of consumers) {
    sdp.receive({ mid: c.mid, kind: c.kind, offerRtpParameters: c.rtpParameters as RtpParameters, streamId: 'vilokanam', trackId: c.id });
  }
  const answer = sdpTransform.parse(sdp.getSdp());
  // RemoteSdp writes offers; an answer to an active offerer is passive.
  for (const m of answer.media) m.setup = 'passive';
  return withRejected(sdpTransform.write(answer), offer);
}

/** Adds the offered sections the answer does not carry, rejected (port 0), so the m-lines match one to one. */
function withRejected(answerText: string, offer: ParsedOffer): string {
  const answer = sdpTransform.parse(answerText);
  const byMid = new Map(answer.media.map((m) => [String(m.mid), m]));
  answer.media = offer.sdp.media.map((m) => {
    const carried = byMid.get(String(m.mid));
    if (carried) return carried;
    return { type: m.type, port: 0, protocol: m.protocol, payloads: m.payloads, rtp: [], fmtp: [], mid: m.mid, direction: 'inactive' } as MediaDescription;
  });
  return sdpTransform.write(answer);
}

/** The ICE credentials of a trickle-ice-sdpfrag: a restart when they differ from the offer's. */
export function fragmentCredentials(text: string): { ufrag: string | undefined; pwd: string | undefined } {
  return { ufrag: /^a=ice-ufrag:(\S+)/m.exec(text)?.[1], pwd: /^a=ice-pwd:(\S+)/m.exec(text)?.[1] };
}

/** Our new ICE credentials after a restart, as the fragment the client applies. */
export function restartFragment(ice: { usernameFragment: string; password: string }): string {
  return `a=ice-lite\r\na=ice-ufrag:${ice.usernameFragment}\r\na=ice-pwd:${ice.password}\r\n`;
}
