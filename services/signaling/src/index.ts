export { signalingConfigFromEnv, type SignalingConfig } from './config.ts';
export { createLogger } from './log.ts';
export { startPlatform, type Platform } from './Platform.ts';
export { migrate, openDatabase, type Database } from './db/Database.ts';
