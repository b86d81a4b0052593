// What a settings form or panel knows about the request it sends: whether one is under way and
// the last failure, in words for its error line. Every such form caught, cleared and flagged these
// the same way; one place keeps them saying it alike.
import { errorMessage } from '#lib/errors.ts';

export class FormAction {
  /** A submit is under way: its button is disabled so it cannot be sent twice. */
  busy = $state(false);
  /** The last failure, or a form's own check that refused the input (set directly). */
  error = $state<string | null>(null);

  /** A submit: busy while it runs; the last error is cleared first and a failure replaces it. */
  async run(work: () => Promise<void>): Promise<void> {
    this.busy = true;
    try {
      await this.attempt(work);
    } finally {
      this.busy = false;
    }
  }

  /**
   * A request that leaves the form usable while it runs (loading a list, removing one of its
   * items): only its failure is shown.
   */
  async attempt(work: () => Promise<void>): Promise<void> {
    this.error = null;
    try {
      await work();
    } catch (e) {
      this.error = errorMessage(e);
    }
  }
}
