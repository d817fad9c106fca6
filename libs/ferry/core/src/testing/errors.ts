/** For tests: the FerryError `fn` throws (any other error is rethrown; no error fails the test). */
import { FerryError } from '../errors.ts';

export function errorOf(fn: () => unknown): FerryError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FerryError) return e;
    throw e;
  }
  throw new Error('expected a FerryError');
}
