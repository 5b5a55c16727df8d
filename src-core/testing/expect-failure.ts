import assert from 'node:assert/strict';
import { PressCloudError } from '../press-cloud-error.ts';

/** Runs `fn` and returns the PressCloudError it must throw. */
export async function failure(fn: () => Promise<unknown>): Promise<PressCloudError> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof PressCloudError, `expected a PressCloudError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}
