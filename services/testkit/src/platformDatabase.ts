// The whole platform's schema (settlement's, signaling's and social's migrations) on each
// engine, for the packages whose tables refer to another's: social's refer to accounts and streams.
import pino from 'pino';
import { openDatabase, type Database } from '@vilokanam/signaling';
import { databaseEngines, type Engine } from './postgres.ts';

const quiet = pino({ level: 'silent' });
export const platformEngines: Engine<Database>[] = databaseEngines((opts) => openDatabase(opts, quiet));
