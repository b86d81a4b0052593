// The money API's wire types, straight from the server's contract (types only, so nothing of
// the server is bundled). Imported by path because @vilokanam/signaling does not export
// ./money/protocol yet; switch to the package path once its package.json does.
export type * from '../../../../services/signaling/src/money/protocol.ts';
