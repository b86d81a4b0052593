// A Polkadot wallet extension for tests, injected into Chromium the way a real one injects
// itself: window.injectedWeb3[<name>] with enable() → { accounts, signer }. The keys never
// enter the page: the page's signer calls a binding, and the signing happens here in Node with
// a keyring, as a real extension signs in its background process.
import type { ApiPromise } from '@polkadot/api';
import type { KeyringPair } from '@polkadot/keyring/types';
import { hexToU8a, u8aToHex, u8aWrapBytes } from '@polkadot/util';
import type { BrowserContext } from 'playwright-core';

export const TEST_EXTENSION = 'vilo-test-wallet';

export interface SignRequest {
  kind: 'payload' | 'raw';
  address: string;
  /** The call a payload signs (hex), so a test can check what the site composed. */
  method?: string;
}

export interface TestExtensionOptions {
  /** Decodes extrinsic payloads; the chain's own registry. */
  api: ApiPromise;
  accounts: { pair: KeyringPair; name: string }[];
  /** Says no (the person pressed Cancel) when this returns false. */
  approve?: (request: SignRequest) => boolean;
  /** Every request the site made, approved or not. */
  requests?: SignRequest[];
}

interface SignerPayloadJson {
  address: string;
  method: string;
  version: number;
  [key: string]: unknown;
}

type Call = { op: 'payload'; payload: SignerPayloadJson } | { op: 'raw'; raw: { address: string; data: string } };

/** Injects the extension into every page of `context` (call before the pages load). */
export async function injectTestExtension(context: BrowserContext, o: TestExtensionOptions): Promise<void> {
  const byAddress = new Map(o.accounts.map((a) => [o.api.createType('AccountId', a.pair.address).toString(), a.pair]));
  let id = 0;
  await context.exposeBinding('__viloTestExtensionSign', (_source, call: Call) => {
    const address = call.op === 'payload' ? call.payload.address : call.raw.address;
    const pair = byAddress.get(o.api.createType('AccountId', address).toString());
    const request: SignRequest = { kind: call.op, address, ...(call.op === 'payload' ? { method: call.payload.method } : {}) };
    o.requests?.push(request);
    if (!pair) throw new Error(`Unknown account ${address}`);
    if (o.approve && !o.approve(request)) throw new Error('Cancelled');
    id += 1;
    if (call.op === 'raw') return { id, signature: u8aToHex(pair.sign(u8aWrapBytes(hexToU8a(call.raw.data)))) };
    const payload = o.api.registry.createType('ExtrinsicPayload', call.payload, { version: call.payload.version });
    return { id, signature: payload.sign(pair).signature };
  });
  const accounts = o.accounts.map((a) => ({ address: a.pair.address, name: a.name, type: a.pair.type }));
  await context.addInitScript(
    ({ name, accounts }) => {
      const w = window as unknown as { injectedWeb3?: Record<string, unknown>; __viloTestExtensionSign: (call: unknown) => Promise<unknown> };
      const extension = {
        accounts: {
          get: async () => accounts,
          subscribe: (cb: (a: typeof accounts) => void) => {
            cb(accounts);
            return () => {};
          },
        },
        signer: {
          signPayload: (payload: unknown) => w.__viloTestExtensionSign({ op: 'payload', payload }),
          signRaw: (raw: unknown) => w.__viloTestExtensionSign({ op: 'raw', raw }),
        },
      };
      w.injectedWeb3 = { ...(w.injectedWeb3 ?? {}), [name]: { version: '1.0.0', enable: async () => extension } };
    },
    { name: TEST_EXTENSION, accounts },
  );
}
