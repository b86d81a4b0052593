import type { ChatRestriction } from '@vilokanam/contracts/chat';
import { VilokanamError } from '@vilokanam/contracts/errors';
import type { ErrorCode } from '@vilokanam/contracts/signaling';

/** A refused chat request; a restriction tells the client why this account cannot write. */
export class ChatError extends VilokanamError<ErrorCode> {
  readonly restriction: ChatRestriction | undefined;

  constructor(code: ErrorCode, message: string, restriction?: ChatRestriction) {
    super(code, message);
    this.restriction = restriction;
  }
}
