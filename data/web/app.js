/* dronevault serve: the page. No inline script (the Content-Security-Policy
 * forbids it); text from the vault goes into the page as text nodes only. */
'use strict';

/* an API answer; a failure carries the server's {"error": …} (a damaged
 * catalog, a missing blob) so the page can say what is wrong */
function api(path) {
  return fetch(path, { credentials: 'same-origin' }).then(function (r) {
    if (!r.ok) {
      return r.json().catch(function () { return {}; }).then(function (b) {
        throw new Error(path + ': HTTP ' + r.status + (b && b.error ? ': ' + b.error : ''));
      });
    }
    return r.json();
  });
}

/* why a stored file did not load: ask for its first byte and show the error answer */
function mediaFailed(url) {
  fetch(url, { credentials: 'same-origin', headers: { Range: 'bytes=0-0' } }).then(function (r) {
    if (r.ok) return;
    return r.json().catch(function () { return {}; }).then(function (b) {
      status(url + ': HTTP ' + r.status + (b && b.error ? ': ' + b.error : ''), true);
    });
  }).catch(function (e) { status(url + ': ' + e.message, true); });
}

function cell(tr, text, cls) {
  var td = document.createElement('td');
  td.textContent = text === null || text === undefined ? '' : String(text);
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function rows(id) {
  var tb = document.querySelector('#' + id + ' tbody');
  while (tb.firstChild) tb.removeChild(tb.firstChild);
  return tb;
}

function human(n) {
  var u = ['B', 'kB', 'MB', 'GB', 'TB'], i = 0;
  while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
  return (i ? n.toFixed(1) : n) + ' ' + u[i];
}

/* ---- the map: Natural Earth arcs (world-atlas TopoJSON) as the base layer ---- */
var map = null, trackLayer = null;

function topoArcs(topo) {
  var t = topo.transform, out = [];
  topo.arcs.forEach(function (arc) {
    var x = 0, y = 0, line = [];
    arc.forEach(function (p) {
      x += p[0]; y += p[1];
      var lon = t ? x * t.scale[0] + t.translate[0] : p[0];
      var lat = t ? y * t.scale[1] + t.translate[1] : p[1];
      line.push([lat, lon]);
    });
    out.push(line);
  });
  return out;
}

var tilesUrl = null; /* dronevault config set map.tiles: its origin is the one the CSP allows */
var statusAnswer = Promise.resolve(); /* /api/status, which says the tile server: start() sets it */
var mapReady = null;

/* The map, made once: after /api/status has answered (a case page opened
 * from the URL can ask for the map first; the tile layer must not depend on
 * which answer comes back first). */
function ensureMap() {
  if (mapReady) return mapReady;
  mapReady = statusAnswer.catch(function () {}).then(function () {
    map = L.map('map', { worldCopyJump: true, attributionControl: true }).setView([20, 0], 2);
    map.attributionControl.addAttribution('borders and coastlines: Natural Earth (world-atlas)');
    if (tilesUrl) L.tileLayer(tilesUrl, { maxZoom: 19, attribution: 'agency tile server' }).addTo(map);
    return fetch('/vendor/countries-110m.json', { credentials: 'same-origin' });
  })
    .then(function (r) { return r.json(); })
    .then(function (topo) {
      L.polyline(topoArcs(topo), { color: '#555', weight: 1, interactive: false }).addTo(map);
      return map;
    })
    .catch(function () { return map; });
  return mapReady;
}

function showTrack(flight) {
  ensureMap().then(function () {
    return api('/api/flights/' + flight + '/track');
  }).then(function (gj) {
    if (trackLayer) map.removeLayer(trackLayer);
    trackLayer = L.geoJSON(gj, {
      style: { color: '#e63946', weight: 4 },
      pointToLayer: function (f, ll) {
        return L.circleMarker(ll, { radius: 4, color: '#1d3557', fillColor: '#457b9d', fillOpacity: 0.9, weight: 1 });
      }
    }).addTo(map);
    var b = trackLayer.getBounds();
    if (b.isValid()) map.fitBounds(b, { maxZoom: 17, padding: [20, 20] });
    document.getElementById('map').setAttribute('data-track', flight);
  }).catch(function (e) { status(e.message, true); });
}

/* ---- the case's map layers: photo positions, zones and geofence findings, coverage ---- */
var overlays = {}, layerControl = null;

function setOverlay(name, layer) {
  if (overlays[name]) { map.removeLayer(overlays[name]); if (layerControl) layerControl.removeLayer(overlays[name]); }
  overlays[name] = layer;
  layer.addTo(map);
  if (!layerControl) layerControl = L.control.layers(null, null, { collapsed: false }).addTo(map);
  layerControl.addOverlay(layer, name);
}

function popupText(props, keys) {
  var d = document.createElement('div');
  keys.forEach(function (k) {
    if (props[k] === undefined || props[k] === null) return;
    var line = document.createElement('div');
    line.textContent = k + ': ' + (typeof props[k] === 'object' ? JSON.stringify(props[k]) : props[k]);
    d.appendChild(line);
  });
  return d;
}

function showPhotos(caseId) {
  return ensureMap().then(function () { return api('/api/cases/' + caseId + '/photos'); }).then(function (gj) {
    setOverlay('photo positions (' + gj.features.length + ')', L.geoJSON(gj, {
      pointToLayer: function (f, ll) {
        return L.circleMarker(ll, { radius: 6, color: '#6a040f', fillColor: '#ffba08', fillOpacity: 0.9, weight: 2,
                                    className: 'dv-photos' });
      },
      onEachFeature: function (f, l) { l.bindPopup(popupText(f.properties, ['path', 'rel_alt', 'gimbal_yaw', 'gimbal_pitch'])); }
    }));
    document.getElementById('map').setAttribute('data-photos', gj.features.length);
  }).catch(function (e) { status(e.message, true); });
}

function showZones(caseId) {
  return ensureMap().then(function () { return api('/api/cases/' + caseId + '/zones'); }).then(function (gj) {
    if (!gj.features.length) return;
    var zones = gj.features.filter(function (f) { return f.properties.kind === 'zone'; });
    var events = gj.features.filter(function (f) { return f.properties.kind !== 'zone'; });
    setOverlay('zones entered (' + zones.length + ')', L.geoJSON({ type: 'FeatureCollection', features: zones }, {
      style: { color: '#7b2cbf', weight: 2, fillColor: '#c77dff', fillOpacity: 0.25, className: 'dv-zones' },
      onEachFeature: function (f, l) { l.bindPopup(popupText(f.properties, ['identifier', 'name', 'restriction', 'lower', 'upper', 'custody_entry'])); }
    }));
    setOverlay('geofence findings (' + events.length + ')', L.geoJSON({ type: 'FeatureCollection', features: events }, {
      pointToLayer: function (f, ll) {
        return L.circleMarker(ll, { radius: 8, color: '#000', fillColor: '#d00000', fillOpacity: 1, weight: 2,
                                    className: 'dv-findings' });
      },
      onEachFeature: function (f, l) { l.bindPopup(popupText(f.properties, ['kind', 'zone', 'restriction', 'time', 'alt_m', 'flight', 'custody_entry'])); }
    }));
  }).catch(function (e) { status(e.message, true); });
}

var COVERAGE_STYLE = {
  footprint: { color: '#2a9d8f', weight: 1, fill: false, className: 'dv-footprints' },
  coverage: { color: '#264653', weight: 0, fillColor: '#2a9d8f', fillOpacity: 0.35, className: 'dv-coverage' },
  holes: { color: '#e76f51', weight: 2, fillColor: '#e76f51', fillOpacity: 0.5, className: 'dv-holes' }
};

/* computed by the server on request (dronevault coverage), then kept */
function showCoverage(caseId) {
  var st = document.getElementById('coverage-state');
  st.textContent = 'computing…';
  st.className = '';
  ensureMap().then(function () { return api('/api/cases/' + caseId + '/coverage'); }).then(function (gj) {
    setOverlay('coverage', L.geoJSON(gj, {
      style: function (f) { return COVERAGE_STYLE[f.properties.layer] || COVERAGE_STYLE.footprint; },
      interactive: false
    }));
    var c = gj.dronevault_coverage || {};
    st.textContent = (c.photos || 0) + ' photos, ' + ((c.share || 0) * 100).toFixed(1) + ' % seen by ≥ ' + c.min_images +
                     ', ' + (c.holes || 0) + ' hole(s)';
  }).catch(function (e) { st.textContent = 'coverage: ' + e.message; st.className = 'bad'; });
}

/* ---- media ---- */
/* the DJI XMP fields (drone-dji:GimbalPitchDegree, FlightYawDegree, RelativeAltitude, …), decoded in the reader */
function showXmp(f) {
  var tb = rows('xmp');
  document.getElementById('xmp').hidden = true;
  if (f.media !== 'image') return;
  api('/api/files/' + f.id + '/xmp').then(function (x) {
    var keys = Object.keys(x);
    document.getElementById('xmp').hidden = keys.length === 0;
    keys.forEach(function (k) {
      var tr = document.createElement('tr');
      [k, x[k]].forEach(function (v) { cell(tr, v); });
      tb.appendChild(tr);
    });
  }).catch(function (e) { status(e.message, true); });
}

function showExif(f) {
  var tb = rows('exif');
  showXmp(f);
  document.getElementById('exif').hidden = f.media !== 'image';
  if (f.media !== 'image') return;
  api('/api/files/' + f.id + '/exif').then(function (ex) {
    Object.keys(ex).forEach(function (ifd) {
      Object.keys(ex[ifd]).forEach(function (k) {
        var tr = document.createElement('tr');
        [ifd, k, ex[ifd][k]].forEach(function (x) { cell(tr, x); });
        tb.appendChild(tr);
      });
    });
  }).catch(function (e) { status(e.message, true); });
}

function showFile(f) {
  var viewer = document.getElementById('viewer'), v = document.getElementById('video'), p = document.getElementById('photo');
  var url = '/api/files/' + f.id + '/content';
  viewer.hidden = false;
  showExif(f);
  if (f.media === 'video') { p.hidden = true; v.hidden = false; v.src = url; }
  else if (f.media === 'image') { v.hidden = true; v.removeAttribute('src'); p.hidden = false; p.src = url; }
  else { window.location.href = url; }
}

/* the header line; problems are kept below it (a later good answer never hides one) */
function status(text, bad) {
  if (!bad) {
    var s = document.getElementById('status');
    s.textContent = text;
    s.className = '';
    return;
  }
  var ul = document.getElementById('problems');
  var seen = [].some.call(ul.childNodes, function (li) { return li.textContent === text; });
  if (seen || ul.childNodes.length >= 20) return;
  var li = document.createElement('li');
  li.textContent = text;
  ul.appendChild(li);
  ul.hidden = false;
}

/* ---- findings: audit verdicts, Remote ID, zones (custody entries) ---- */
var FINDING_KIND = { 'audit': 'audit verdict', 'radio': 'Remote ID', 'zones.check': 'zones check' };
var ENTRY_KEYS = ['seq', 'time', 'action', 'operator', 'station', 'case', 'hash', 'prev', 'verdict', 'files', 'manifest'];

function findingRow(e) {
  var tr = document.createElement('tr');
  tr.className = 'finding finding-' + e.action.replace('.', '-');
  var verdict = e.verdict || (e.action === 'radio' ? 'broadcast seen' : '');
  [e.seq, e.time, FINDING_KIND[e.action] || e.action, e.operator, verdict].forEach(function (x) { cell(tr, x); });
  var d = {};
  Object.keys(e).forEach(function (k) { if (ENTRY_KEYS.indexOf(k) < 0) d[k] = e[k]; });
  var text = JSON.stringify(d);
  cell(tr, text.length > 400 ? text.slice(0, 400) + '…' : text, 'detail');
  return tr;
}

/* ---- verify on request (/api/verify): started by the button, polled while it runs ---- */
var verifyTimer = null;
function showVerify(v) {
  var st = document.getElementById('verify-state'), pr = document.getElementById('verify-progress');
  var btn = document.getElementById('verify-btn');
  pr.hidden = v.state !== 'running';
  if (v.bytes_total) { pr.max = v.bytes_total; pr.value = v.bytes_done; }
  btn.disabled = v.state === 'running' || v.state === 'unavailable';
  if (v.state === 'running') {
    st.textContent = 'verifying… ' + (v.bytes_total ? Math.floor(100 * v.bytes_done / v.bytes_total) + ' %' : '') +
                     (v.problems ? ' — ' + v.problems + ' problem(s) so far' : '');
    st.className = v.problems ? 'bad' : '';
  } else if (v.state === 'done') {
    st.textContent = v.intact ? 'verify: the vault is intact (' + v.result.blobs + ' blobs, ' + v.result.log_entries +
                                ' custody entries, ' + v.result.seconds.toFixed(1) + ' s)'
                              : 'verify: ' + v.result.problems + ' PROBLEM(S)';
    st.className = v.intact ? 'ok' : 'bad';
  } else if (v.state === 'failed' || v.state === 'unavailable') {
    st.textContent = 'verify ' + v.state + ': ' + (v.error || '');
    st.className = 'bad';
  } else {
    st.textContent = '';
  }
  var ul = document.getElementById('verify-messages');
  while (ul.firstChild) ul.removeChild(ul.firstChild);
  (v.messages || []).forEach(function (m) {
    var li = document.createElement('li');
    li.className = m.kind;
    li.textContent = m.kind + ': ' + m.message;
    ul.appendChild(li);
  });
  if (v.state === 'running') {
    verifyTimer = setTimeout(function () { api('/api/verify').then(showVerify); }, 500);
  }
}
function startVerify() {
  if (verifyTimer) clearTimeout(verifyTimer);
  api('/api/verify?again=1').then(showVerify).catch(function (e) { status(e.message, true); });
}

/* ---- a case ---- */
var currentCase = null;
function openCase(c) {
  currentCase = c;
  document.getElementById('case-pane').hidden = false;
  showPhotos(c.id);
  showZones(c.id);
  document.getElementById('case-title').textContent = 'Case ' + c.case;
  api('/api/cases/' + c.id).then(function (d) {
    var tb = rows('acqs');
    d.acquisitions.forEach(function (a) {
      var tr = document.createElement('tr');
      [a.id, a.source, a.kind + (a.fs_type ? ' (' + a.fs_type + ')' : ''), a.operator, a.started, a.files,
       a.complete ? 'yes' : 'NO'].forEach(function (x) { cell(tr, x); });
      tb.appendChild(tr);
    });
  }).catch(function (e) { status(e.message, true); });
  api('/api/cases/' + c.id + '/flights').then(function (fl) {
    var tb = rows('flights');
    fl.forEach(function (f, i) {
      var tr = document.createElement('tr');
      tr.className = 'pick';
      [f.flight, (f.model || '') + ' ' + (f.serial || ''), f.start, f.photos, f.points].forEach(function (x) { cell(tr, x); });
      tr.addEventListener('click', function () { showTrack(f.flight); });
      tb.appendChild(tr);
      if (i === 0 && f.points) showTrack(f.flight);
    });
    if (!fl.length) ensureMap();
  }).catch(function (e) { status(e.message, true); });
  api('/api/cases/' + c.id + '/files').then(function (files) {
    var tb = rows('files');
    files.forEach(function (f) {
      var tr = document.createElement('tr');
      tr.className = 'pick';
      var th = cell(tr, '');
      if (f.media === 'image') {
        var img = document.createElement('img');
        img.loading = 'lazy';
        img.className = 'thumb';
        img.alt = '';
        img.src = '/api/files/' + f.id + '/thumb';
        img.addEventListener('error', function () { img.hidden = true; });
        th.appendChild(img);
      }
      [f.id, f.path, human(f.size), f.mtime].forEach(function (x) { cell(tr, x); });
      cell(tr, f.sha256.slice(0, 16), 'hash');
      tr.addEventListener('click', function () { showFile(f); });
      tb.appendChild(tr);
    });
  }).catch(function (e) { status(e.message, true); });
  api('/api/cases/' + c.id + '/findings').then(function (fd) {
    var tb = rows('findings');
    document.getElementById('findings-none').hidden = fd.entries.length > 0;
    fd.entries.forEach(function (e) { tb.appendChild(findingRow(e)); });
  }).catch(function (e) { status(e.message, true); });
  api('/api/cases/' + c.id + '/log').then(function (log) {
    var st = document.getElementById('log-state');
    st.textContent = log.chain_ok ? '(chain and signatures verified)' : '(PROBLEMS: ' + log.problems.join('; ') + ')';
    st.className = log.chain_ok ? 'ok' : 'bad';
    var tb = rows('log');
    log.entries.forEach(function (e) {
      var tr = document.createElement('tr');
      [e.seq, e.time, e.action, e.operator, e.station].forEach(function (x) { cell(tr, x); });
      cell(tr, e.hash.slice(0, 16), 'hash');
      tb.appendChild(tr);
    });
  }).catch(function (e) { status(e.message, true); });
}

function start() {
  var v = document.getElementById('video'), p = document.getElementById('photo');
  v.addEventListener('error', function () { if (v.getAttribute('src')) mediaFailed(v.getAttribute('src')); });
  p.addEventListener('error', function () { if (p.getAttribute('src')) mediaFailed(p.getAttribute('src')); });
  document.getElementById('verify-btn').addEventListener('click', startVerify);
  document.getElementById('coverage-btn').addEventListener('click', function () { if (currentCase) showCoverage(currentCase.id); });
  statusAnswer = api('/api/status').then(function (s) {
    tilesUrl = s.map_tiles || null;
    status('vault ' + s.vault + ' at ' + s.station + ' — read-only');
    if (s.config !== 'authenticated') status('vault.json is ' + s.config + '!', true);
  }).catch(function (e) { status('the vault cannot be read: ' + e.message, true); });
  api('/api/cases').then(function (cases) {
    var tb = rows('cases');
    cases.forEach(function (c) {
      var tr = document.createElement('tr');
      tr.className = 'pick';
      [c.case, c.created, c.ingests, c.files, human(c.bytes)].forEach(function (x) { cell(tr, x); });
      tr.addEventListener('click', function () { openCase(c); });
      tb.appendChild(tr);
    });
    var want = new URLSearchParams(window.location.hash.slice(1)).get('case');
    cases.forEach(function (c) { if (want && String(c.id) === want) openCase(c); });
  }).catch(function (e) { status(e.message, true); });
}

document.addEventListener('DOMContentLoaded', start);
