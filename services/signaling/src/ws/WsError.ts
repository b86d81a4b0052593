import { VilokanamError } from '@vilokanam/contracts/errors';
import type { ErrorCode } from '@vilokanam/contracts/signaling';

/** A request refused: an error frame with its code on a socket, or its HTTP status on WHIP and WHEP. */
export class WsError extends VilokanamError<ErrorCode> {}
