import { findRoute, type Route } from './routes.ts';

export type Vehicle = 'none' | 'bicycle' | 'motorbike' | 'car' | 'van';

/** Flat one-way vehicle fee on top of the passenger fares. */
export const VEHICLE_FEES_CENTS: Readonly<Record<Vehicle, number>> = {
  none: 0,
  bicycle: 800,
  motorbike: 3500,
  car: 8900,
  van: 14500,
};

/** A validated request for a price (see `parseQuoteRequest`). */
export interface QuoteRequest {
  route: string;
  /** Departure date, `YYYY-MM-DD`. */
  date: string;
  adults: number;
  children: number;
  infants: number;
  vehicle: Vehicle;
  returnTrip: boolean;
}

export interface QuoteLine {
  label: string;
  amountCents: number;
}

export interface Quote {
  route: string;
  currency: Route['currency'];
  lines: QuoteLine[];
  totalCents: number;
}

/** Children (2–15) pay half the adult fare; infants travel free. */
export const CHILD_FACTOR = 0.5;
/** July and August sailings cost a quarter more. */
export const PEAK_SURCHARGE = 0.25;
/** A return trip is two crossings less this discount. */
export const RETURN_DISCOUNT = 0.1;

/** Peak season: departures in July or August. */
export function isPeak(date: string): boolean {
  const month = Number(date.slice(5, 7));
  return month === 7 || month === 8;
}

/**
 * Price a crossing. Every line is rounded to whole cents so the lines always add up to the total.
 * Throws when the route does not exist; validate with `parseQuoteRequest` first.
 */
export function priceQuote(req: QuoteRequest): Quote {
  const route = findRoute(req.route);
  if (!route) throw new Error(`unknown route ${req.route}`);
  const lines: QuoteLine[] = [];
  const add = (label: string, amountCents: number) => {
    if (amountCents !== 0) lines.push({ label, amountCents: Math.round(amountCents) });
  };
  add(plural(req.adults, 'adult', 'adults'), req.adults * route.adultFareCents);
  add(plural(req.children, 'child', 'children'), req.children * Math.round(route.adultFareCents * CHILD_FACTOR));
  add(`vehicle: ${req.vehicle}`, VEHICLE_FEES_CENTS[req.vehicle]);
  const oneWay = sum(lines);
  if (isPeak(req.date)) add('peak season', oneWay * PEAK_SURCHARGE);
  if (req.returnTrip) {
    const outbound = sum(lines);
    add('return crossing', outbound);
    add('return discount', -Math.round(outbound * 2 * RETURN_DISCOUNT));
  }
  return { route: route.id, currency: route.currency, lines, totalCents: sum(lines) };
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function sum(lines: QuoteLine[]): number {
  return lines.reduce((total, l) => total + l.amountCents, 0);
}
