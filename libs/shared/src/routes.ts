/** A ferry route the sample company sells crossings on. Fares are integer cents. */
export interface Route {
  id: string;
  from: string;
  to: string;
  /** Crossing time in minutes. */
  durationMinutes: number;
  /** One-way fare for one adult foot passenger. */
  adultFareCents: number;
  /** Fares are quoted in this currency. */
  currency: 'EUR' | 'GBP';
}

export const ROUTES: readonly Route[] = [
  { id: 'dover-calais', from: 'Dover', to: 'Calais', durationMinutes: 90, adultFareCents: 3900, currency: 'GBP' },
  { id: 'holyhead-dublin', from: 'Holyhead', to: 'Dublin', durationMinutes: 195, adultFareCents: 4600, currency: 'GBP' },
  { id: 'piraeus-naxos', from: 'Piraeus', to: 'Naxos', durationMinutes: 330, adultFareCents: 4250, currency: 'EUR' },
  { id: 'helsinki-tallinn', from: 'Helsinki', to: 'Tallinn', durationMinutes: 120, adultFareCents: 3100, currency: 'EUR' },
];

export function findRoute(id: string): Route | undefined {
  return ROUTES.find((r) => r.id === id);
}
