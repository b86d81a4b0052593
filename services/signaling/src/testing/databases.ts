// Each real database engine the platform supports, on a fresh throwaway database, with
// signaling's migrations on top of settlement's.
import pino from 'pino';
import { databaseEngines, type Engine } from '@vilokanam/testkit/postgres';
import { openDatabase, type Database } from '../db/Database.ts';

const quiet = pino({ level: 'silent' });
export const engines: Engine<Database>[] = databaseEngines((opts) => openDatabase(opts, quiet));
