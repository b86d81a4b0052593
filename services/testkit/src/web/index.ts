export { CHROMIUM, launchChromium, mediaContext } from './browser.ts';
export { readPlayer, startFrameCounter, waitForPlayer, type PlayerState } from './player.ts';
export { startWebPlatform, WEB_DIR } from './platform.ts';
export { fillPrice, goLive, pressWatchUnlessPlaying, signInToStudio, watch } from './studio.ts';
export { injectTestExtension, TEST_EXTENSION, type SignRequest, type TestExtensionOptions } from './extension.ts';
export { focusVisible, tabTo } from './keyboard.ts';
export { TestFleet, type TestFleetOptions } from './TestFleet.ts';
export { CLIENT_ORIGIN, clientContext, clientPage, decodedFrames, whepView, whipPublish, type WhipOptions } from './whipClients.ts';
