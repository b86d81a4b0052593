export { NetnsBridge } from './NetnsBridge.ts';
export { NetnsHost, type NetnsHostOptions } from './NetnsHost.ts';
export { RedisServer, REDIS_SERVER, type RedisServerOptions } from './RedisServer.ts';
export { SfuProcess, type SfuProcessOptions } from './SfuProcess.ts';
export { Vp8PipeSource, type PipeEnd } from './Vp8PipeSource.ts';
export { SOURCE_PT, SOURCE_SSRC, startVp8Source, type Vp8Source } from './vp8source.ts';
export { isRtcp, port, rtpPacket, rtpPayload, udpSocket } from './rtp.ts';
export { FfmpegRtpSource, type FfmpegRtpSourceOptions } from './FfmpegRtpSource.ts';
export { WsTap, type TappedFrame } from './WsTap.ts';
