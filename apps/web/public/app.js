// The page's only link to the api is HTTP, at the URL the server puts in /config.js.
const { apiUrl, version } = window.FERRY_CONFIG;
const $ = (id) => document.getElementById(id);
const money = (cents, currency) => new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100);

$('web-version').textContent = version;

async function api(path, init) {
  const res = await fetch(new URL(path, apiUrl), init);
  const body = await res.json();
  if (!res.ok) throw new Error((body.details || [body.error]).join('; '));
  return body;
}

api('/version').then((v) => { $('api-version').textContent = v.contentTag; }, () => { $('api-version').textContent = 'unreachable'; });

api('/routes').then(({ routes }) => {
  for (const r of routes) $('route').add(new Option(`${r.from} → ${r.to}`, r.id));
}, (e) => { $('result').innerHTML = `<p class="error">Cannot reach the api: ${e.message}</p>`; });

$('quote').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const request = {
    route: form.get('route'),
    date: form.get('date'),
    adults: Number(form.get('adults')),
    children: Number(form.get('children')),
    vehicle: form.get('vehicle'),
    returnTrip: form.get('returnTrip') === 'on',
  };
  const out = $('result');
  try {
    const quote = await api('/quote', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
    const rows = quote.lines.map((l) => `<tr><td>${l.label}</td><td>${money(l.amountCents, quote.currency)}</td></tr>`);
    rows.push(`<tr class="total"><td>Total</td><td>${money(quote.totalCents, quote.currency)}</td></tr>`);
    out.innerHTML = `<table>${rows.join('')}</table>`;
  } catch (e) {
    out.innerHTML = '';
    const p = document.createElement('p');
    p.className = 'error';
    p.textContent = e.message;
    out.append(p);
  }
});
