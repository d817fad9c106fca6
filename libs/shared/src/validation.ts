import { findRoute, ROUTES } from './routes.ts';
import { VEHICLE_FEES_CENTS, type QuoteRequest, type Vehicle } from './quote.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** Most passengers one booking may carry. */
export const MAX_PASSENGERS = 9;

/**
 * Validate an untrusted quote request (a JSON body, or query parameters as strings).
 * Collects every problem instead of stopping at the first, so a client can fix them all at once.
 */
export function parseQuoteRequest(input: unknown): Parsed<QuoteRequest> {
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, errors: ['request must be a JSON object'] };
  }
  const raw = input as Record<string, unknown>;
  const errors: string[] = [];

  const route = typeof raw.route === 'string' ? raw.route : '';
  if (!findRoute(route)) {
    errors.push(`route must be one of ${ROUTES.map((r) => r.id).join(', ')}`);
  }

  const date = typeof raw.date === 'string' ? raw.date : '';
  if (!isIsoDate(date)) errors.push('date must be a calendar date as YYYY-MM-DD');

  const count = (name: 'adults' | 'children' | 'infants', fallback: number): number => {
    const value = raw[name] === undefined || raw[name] === '' ? fallback : Number(raw[name]);
    if (!Number.isInteger(value) || value < 0) {
      errors.push(`${name} must be a whole number >= 0`);
      return 0;
    }
    return value;
  };
  const adults = count('adults', 1);
  const children = count('children', 0);
  const infants = count('infants', 0);
  if (adults < 1) errors.push('at least one adult must travel');
  if (adults + children + infants > MAX_PASSENGERS) {
    errors.push(`at most ${MAX_PASSENGERS} passengers per booking`);
  }
  if (infants > adults) errors.push('each infant must travel with an adult');

  const vehicle = (raw.vehicle ?? 'none') as Vehicle;
  if (typeof vehicle !== 'string' || !(vehicle in VEHICLE_FEES_CENTS)) {
    errors.push(`vehicle must be one of ${Object.keys(VEHICLE_FEES_CENTS).join(', ')}`);
  }

  const returnTrip = raw.returnTrip === true || raw.returnTrip === 'true';
  if (raw.returnTrip !== undefined && typeof raw.returnTrip !== 'boolean' && raw.returnTrip !== 'true' && raw.returnTrip !== 'false') {
    errors.push('returnTrip must be true or false');
  }

  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { route, date, adults, children, infants, vehicle, returnTrip } };
}

function isIsoDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}
