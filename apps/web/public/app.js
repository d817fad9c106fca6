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
}, (e) => {
  const p = document.createElement('p');
  p.className = 'error';
  p.textContent = `Cannot reach the api: ${e.message}`;
  $('result').append(p);
});

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
  out.replaceChildren();
  try {
    const quote = await api('/quote', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
    const table = document.createElement('table');
    const row = (label, cents, className) => {
      const tr = table.insertRow();
      if (className) tr.className = className;
      tr.insertCell().textContent = label;
      tr.insertCell().textContent = money(cents, quote.currency);
    };
    for (const l of quote.lines) row(l.label, l.amountCents);
    row('Total', quote.totalCents, 'total');
    out.append(table);
  } catch (e) {
    const p = document.createElement('p');
    p.className = 'error';
    p.textContent = e.message;
    out.append(p);
  }
});
