import { describe, expect, it } from 'vitest';
import { ApiError } from './api.ts';
import { errorCode, errorMessage, isFatal, isNotLive, remedyFor } from './errors.ts';
import { SignalingError } from './SignalingClient.ts';

describe('error classification', () => {
  it('treats auth and missing-resource failures as fatal', () => {
    expect(isFatal(new SignalingError('unauthorized', 'bad token'))).toBe(true);
    expect(isFatal(new SignalingError('not_found', 'gone'))).toBe(true);
    expect(isFatal(new ApiError(404, 'http_error', 'Not found'))).toBe(true);
    expect(isFatal(new ApiError(401, 'unauthorized', 'bad key'))).toBe(true);
    const unsupported = Object.assign(new Error('no WebRTC'), { name: 'UnsupportedError' });
    expect(isFatal(unsupported)).toBe(true);
  });

  it('stops on a refused payment, and waits out a stream the operator has not placed yet', () => {
    expect(isFatal(new ApiError(402, 'payment_required', 'top up'))).toBe(true);
    expect(isFatal(new SignalingError('payment_required', 'balance ran out'))).toBe(true);
    expect(isFatal(new SignalingError('unavailable', 'no origin yet'))).toBe(false);
  });

  it('points a refused viewer at the fix: the wallet, or sign-in back to this page', () => {
    expect(remedyFor(new ApiError(402, 'payment_required', 'top up'), '/watch/x')).toEqual({ href: '/wallet', label: 'Top up your wallet' });
    expect(remedyFor(new ApiError(401, 'unauthorized', 'sign in'), '/watch/x')).toEqual({ href: '/signin?next=%2Fwatch%2Fx', label: 'Sign in' });
    expect(remedyFor(new SignalingError('not_found', 'gone'), '/watch/x')).toBeNull();
  });

  it('treats transport trouble as retryable', () => {
    expect(isFatal(new SignalingError('closed', 'closed'))).toBe(false);
    expect(isFatal(new SignalingError('timeout', 'slow'))).toBe(false);
    expect(isFatal(new ApiError(0, 'network', 'offline'))).toBe(false);
    expect(isFatal(new ApiError(503, 'internal', 'busy'))).toBe(false);
    expect(isFatal(new Error('random'))).toBe(false);
  });

  it('recognises not-live responses from either channel', () => {
    expect(isNotLive(new SignalingError('stream_not_live', 'not yet'))).toBe(true);
    expect(isNotLive(new ApiError(409, 'whatever', 'ended'))).toBe(true);
    expect(isNotLive(new SignalingError('internal', 'x'))).toBe(false);
  });

  it('extracts codes and readable messages', () => {
    expect(errorCode(new ApiError(500, 'internal', 'x'))).toBe('internal');
    expect(errorCode(new Error('x'))).toBeNull();
    expect(errorMessage(new Error('Camera blocked'))).toBe('Camera blocked');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(42)).toBe('Something went wrong');
  });
});
