export { CHROMIUM, launchChromium, mediaContext } from './browser.ts';
export { readPlayer, startFrameCounter, waitForPlayer, type PlayerState } from './player.ts';
export { startWebPlatform, WEB_DIR } from './platform.ts';
export { goLive, signInToStudio, watch } from './studio.ts';
export { TestFleet, type TestFleetOptions } from './TestFleet.ts';
export { CLIENT_ORIGIN, clientContext, clientPage, decodedFrames, whepView, whipPublish, type WhipOptions } from './whipClients.ts';
