// Each real database engine settlement supports, on a fresh throwaway database with
// settlement's migrations.
import pino from 'pino';
import { databaseEngines, type Engine as KitEngine, type OpenedDatabase as KitOpened } from '@vilokanam/testkit/postgres';
import { openDatabase, type Database } from '../db/Database.ts';

export type OpenedDatabase = KitOpened<Database>;
export type Engine = KitEngine<Database>;

const quiet = pino({ level: 'silent' });
export const engines: Engine[] = databaseEngines((opts) => openDatabase(opts, quiet));
