// A deposit composed here and signed by a browser wallet extension: one utility.batchAll of the
// transfer to escrow and the memo naming the account, as chain/'s DepositWatcher expects (the
// memo text comes from the server, so its format lives in one place). @polkadot/api and
// extension-dapp are loaded only when someone deposits: most pages never need them.
import type { ApiPromise } from '@polkadot/api';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import type { InjectedAccountWithMeta } from '@polkadot/extension-inject/types';
import { VilokanamError } from '@vilokanam/contracts/errors';
import { t } from '#lib/i18n/index.ts';

export type DepositStage = 'signing' | 'sent' | 'in_block' | 'finalized';

export interface DepositProgress {
  stage: DepositStage;
  blockHash?: string;
  blockNumber?: number;
  /** `<block hash>:<extrinsic index>`: the id the platform credits the deposit under. */
  depositId?: string;
}

export interface DepositTarget {
  escrowAddress: string;
  memo: string;
}

/** Why a deposit did not happen, in words for the person, with a code for the page. */
export class DepositError extends VilokanamError {}

const APP_NAME = 'Vilokanam';

/** The connection to the chain node and the wallet extensions, made once per page. */
export class ExtensionDeposit {
  readonly #api: ApiPromise;
  readonly #dapp: typeof import('@polkadot/extension-dapp');

  private constructor(api: ApiPromise, dapp: typeof import('@polkadot/extension-dapp')) {
    this.#api = api;
    this.#dapp = dapp;
  }

  static async connect(rpcUrl: string): Promise<ExtensionDeposit> {
    const [{ ApiPromise, WsProvider }, dapp] = await Promise.all([import('@polkadot/api'), import('@polkadot/extension-dapp')]);
    // A node that cannot be reached is reported within seconds rather than retried silently.
    const provider = new WsProvider(rpcUrl, 2_500, {}, 20_000);
    try {
      const api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true });
      return new ExtensionDeposit(api, dapp);
    } catch {
      await provider.disconnect().catch(() => {});
      throw new DepositError('chain_unreachable', t('errors.chainUnreachable'));
    }
  }

  /** Accounts the wallet extensions share with this site; asks each for access the first time. */
  async accounts(): Promise<InjectedAccountWithMeta[]> {
    const extensions = await this.#dapp.web3Enable(APP_NAME);
    if (extensions.length === 0) throw new DepositError('no_extension', t('errors.noExtension'));
    const accounts = await this.#dapp.web3Accounts({ ss58Format: this.#api.registry.chainSS58 ?? 42 });
    return accounts.filter((a) => a.type !== 'ethereum');
  }

  #extrinsic(target: DepositTarget, amount: bigint): SubmittableExtrinsic<'promise'> {
    const tx = this.#api.tx;
    return tx.utility!.batchAll!([tx.balances!.transferKeepAlive!(target.escrowAddress, amount), tx.system!.remarkWithEvent!(target.memo)]);
  }

  /** The network fee the deposit will cost, on top of the amount. */
  async fee(from: string, target: DepositTarget, amount: bigint): Promise<bigint> {
    const info = await this.#extrinsic(target, amount).paymentInfo(from);
    return BigInt(info.partialFee.toString());
  }

  /** The free balance of `address` on chain. */
  async free(address: string): Promise<bigint> {
    const account = (await this.#api.query.system!.account!(address)) as unknown as { data: { free: { toString(): string } } };
    return BigInt(account.data.free.toString());
  }

  /**
   * Signs with the account's extension and sends; resolves once finalized with the deposit id.
   * Every failure is a DepositError a person can act on.
   */
  async send(from: InjectedAccountWithMeta, target: DepositTarget, amount: bigint, progress: (p: DepositProgress) => void): Promise<DepositProgress> {
    const injector = await this.#dapp.web3FromSource(from.meta.source);
    const api = this.#api;
    progress({ stage: 'signing' });
    return new Promise<DepositProgress>((resolve, reject) => {
      let unsubscribe: (() => void) | undefined;
      const fail = (err: DepositError) => {
        unsubscribe?.();
        reject(err);
      };
      this.#extrinsic(target, amount)
        .signAndSend(from.address, { signer: injector.signer }, (result) => {
          const { status, dispatchError } = result;
          if (status.isBroadcast || status.isReady) progress({ stage: 'sent' });
          if (status.isInBlock || status.isFinalized) {
            if (dispatchError) return fail(dispatchFailure(api, dispatchError));
            const blockHash = (status.isInBlock ? status.asInBlock : status.asFinalized).toHex();
            const depositId = `${blockHash}:${result.txIndex ?? 0}`;
            const stage: DepositStage = status.isInBlock ? 'in_block' : 'finalized';
            const p: DepositProgress = { stage, blockHash, depositId };
            progress(p);
            if (stage === 'in_block') {
              void api.rpc.chain.getHeader(blockHash).then(
                (h) => progress({ ...p, blockNumber: h.number.toNumber() }),
                () => {},
              );
            }
            if (stage === 'finalized') {
              unsubscribe?.();
              resolve(p);
            }
          } else if (status.isDropped || status.isInvalid || status.isUsurped) {
            fail(new DepositError('dropped', t('errors.dropped')));
          } else if (status.isFinalityTimeout) {
            fail(new DepositError('timeout', t('errors.depositTimeout')));
          }
        })
        .then(
          (u) => (unsubscribe = u),
          (err: unknown) => fail(sendFailure(err)),
        );
    });
  }

  async close(): Promise<void> {
    await this.#api.disconnect().catch(() => {});
  }
}

/** What the chain's dispatch error means for the person who sent it. */
function dispatchFailure(api: ApiPromise, err: import('@polkadot/types/interfaces').DispatchError): DepositError {
  if (err.isModule) {
    const { section, name } = api.registry.findMetaError(err.asModule);
    const key = `${section}.${name}`;
    if (/InsufficientBalance|FundsUnavailable/.test(name)) return new DepositError('insufficient_funds', t('errors.insufficientFunds'));
    if (/KeepAlive|Expendable|NotExpendable/.test(name)) return new DepositError('keep_alive', t('errors.keepAlive'));
    return new DepositError('chain_refused', `The network refused the deposit (${key}). Nothing was credited.`);
  }
  if (err.isToken) {
    // Runtimes name these differently across versions (NoFunds then FundsUnavailable, WouldDie then NotExpendable).
    const token: string = err.asToken.type;
    if (token === 'FundsUnavailable' || token === 'NoFunds') return new DepositError('insufficient_funds', t('errors.insufficientFunds'));
    if (token === 'NotExpendable' || token === 'WouldDie' || token === 'BelowMinimum') return new DepositError('keep_alive', t('errors.keepAlive'));
  }
  return new DepositError('chain_refused', `The network refused the deposit (${err.type}). Nothing was credited.`);
}

/** Errors before the network saw anything: the wallet said no, or the node refused the transaction. */
function sendFailure(err: unknown): DepositError {
  const message = err instanceof Error ? err.message : String(err);
  if (/cancel|reject|denied|declined/i.test(message)) return new DepositError('cancelled', t('errors.cancelled'));
  if (/1010|Inability to pay some fees|balance too low/i.test(message)) {
    return new DepositError('insufficient_funds', t('errors.cannotPayFee'));
  }
  return new DepositError('send_failed', `The deposit could not be sent: ${message}`);
}
