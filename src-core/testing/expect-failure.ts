import assert from 'node:assert/strict';
import { ServiceError } from '../http/service-error.ts';

/** Runs `fn` and returns the ServiceError it must throw. */
export async function failure(fn: () => Promise<unknown>): Promise<ServiceError> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof ServiceError, `expected a ServiceError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}
