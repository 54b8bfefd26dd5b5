/* Servicielle — carte des capteurs en temps réel (ES2017, sans étape de build).
 * À charger après vendor/leaflet/leaflet.js. Pour l'élément .sensor-map[data-map-url] :
 *   data-map-url              FeatureCollection GeoJSON de /api/sensors/map (même origine)
 *   data-refresh-seconds      intervalle entre deux mises à jour (30 par défaut)
 *   data-tile-url             fond de carte facultatif (aucun fond si vide : fonctionne hors ligne)
 *   data-tile-attribution     attribution du fond de carte
 *   data-outline-url          contours des communes (GeoJSON), dessinés sous les capteurs
 *   data-*-text               libellés traduits (erreurs, lien, « jamais », oui/non)
 *   data-time-zone            fuseau d'affichage des heures
 * La légende (.sensor-legend li[data-state]) fournit le symbole et le libellé de chaque état :
 * les marqueurs reprennent ces formes, la couleur n'est jamais la seule information.
 * Le résumé #sensor-summary (role=status) n'est réécrit que lorsqu'il change, pour ne pas
 * faire répéter les lecteurs d'écran toutes les 30 secondes. Le tableau est mis à jour aussi.
 */
(function () {
  'use strict';

  const lang = document.documentElement.lang || undefined;
  const reduceMotion = window.matchMedia &&
    window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  const STATES = ['alert', 'warning', 'ok', 'off', 'unknown', 'silent'];

  function displayState(properties) {
    if (properties.silent) return 'silent';
    return STATES.indexOf(properties.state) >= 0 ? properties.state : 'unknown';
  }

  function legendItem(state) {
    return document.querySelector('.sensor-legend li[data-state="' + state + '"]');
  }

  function symbolFor(state) {
    const item = legendItem(state);
    const svg = item && item.querySelector('svg');
    return svg ? svg.cloneNode(true) : document.createElement('span');
  }

  function labelFor(state) {
    const item = legendItem(state);
    return item ? item.dataset.label : state;
  }

  function formatValue(properties, el) {
    const value = properties.value;
    if (value === null || value === undefined) return '—';
    if (typeof value === 'boolean') return value ? el.dataset.yesText : el.dataset.noText;
    if (typeof value === 'number') {
      if (properties.unitCode === 'C62') {
        return new Intl.NumberFormat(lang, { maximumFractionDigits: 2 }).format(value * 100) +
          '\u202f%';
      }
      const text = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 }).format(value);
      return properties.unit ? text + '\u202f' + properties.unit : text;
    }
    return String(value);
  }

  function formatTime(iso, el, options) {
    if (!iso) return el.dataset.neverText || '';
    const format = Object.assign({ timeZone: el.dataset.timeZone || undefined }, options ||
      { dateStyle: 'short', timeStyle: 'short' });
    try {
      return new Intl.DateTimeFormat(lang, format).format(new Date(iso));
    } catch (err) {
      return new Date(iso).toLocaleString(lang);
    }
  }

  function iconFor(state) {
    const box = document.createElement('div');
    box.appendChild(symbolFor(state));
    return L.divIcon({
      html: box.innerHTML,
      className: 'sensor-marker sensor-marker-' + state,
      iconSize: [24, 24],
      iconAnchor: [12, 12],
      popupAnchor: [0, -12],
    });
  }

  function titleFor(properties) {
    return properties.name + ' — ' + labelFor(displayState(properties));
  }

  function popupFor(properties, el) {
    const box = document.createElement('div');
    box.className = 'sensor-popup';
    const name = document.createElement('strong');
    name.textContent = properties.name;
    box.appendChild(name);
    const lines = [
      properties.typeLabel + ' — ' + labelFor(displayState(properties)),
      properties.headlineLabel
        ? (el.dataset.labelTemplate || '{label}:').replace('{label}', properties.headlineLabel) +
          ' ' + formatValue(properties, el)
        : '',
      (el.dataset.lastReportText || '') + ' ' + formatTime(properties.observedAt, el),
    ];
    lines.forEach(function (text) {
      if (!text) return;
      const line = document.createElement('p');
      line.textContent = text;
      box.appendChild(line);
    });
    const link = document.createElement('a');
    link.href = properties.url;
    link.textContent = el.dataset.linkText || properties.name;
    box.appendChild(link);
    return box;
  }

  function summaryText(features) {
    const summary = document.getElementById('sensor-summary');
    const counts = { total: features.length };
    STATES.forEach(function (state) { counts[state] = 0; });
    features.forEach(function (f) { counts[displayState(f.properties)] += 1; });
    return (summary.dataset.template || '').replace(/\{(\w+)\}/g, function (all, key) {
      return key in counts ? String(counts[key]) : all;
    });
  }

  function updateTable(features, el) {
    features.forEach(function (feature) {
      const p = feature.properties;
      const row = document.querySelector('tr[data-entity="' + CSS.escape(p.id) + '"]');
      if (!row) return;
      const stateCell = row.querySelector('[data-field="state"]');
      const state = displayState(p);
      if (stateCell && stateCell.dataset.state !== state) {
        const badge = document.createElement('span');
        badge.className = 'state-badge';
        badge.appendChild(symbolFor(state));
        badge.appendChild(document.createTextNode(' ' + labelFor(state)));
        stateCell.replaceChildren(badge);
        stateCell.dataset.state = state;
      }
      const value = row.querySelector('[data-field="value"] .value');
      if (value) value.textContent = formatValue(p, el);
      const observed = row.querySelector('[data-field="observed"]');
      if (observed) observed.textContent = formatTime(p.observedAt, el);
    });
  }

  function showRefreshError(el, failed) {
    let notice = document.getElementById('sensor-refresh-error');
    if (!failed) {
      if (notice) notice.hidden = true;
      return;
    }
    if (!notice) {
      notice = document.createElement('p');
      notice.id = 'sensor-refresh-error';
      notice.className = 'notice notice-warning';
      notice.setAttribute('role', 'status');
      el.parentNode.insertBefore(notice, el);
    }
    notice.textContent = el.dataset.refreshErrorText || '';
    notice.hidden = false;
  }

  async function fetchFeatures(el) {
    const response = await fetch(el.dataset.mapUrl, {
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { Accept: 'application/geo+json, application/json' },
    });
    if (!response.ok) throw new Error('HTTP ' + response.status);
    const data = await response.json();
    return Array.isArray(data.features) ? data.features : [];
  }

  function render(view, features) {
    const seen = new Set();
    features.forEach(function (feature) {
      const p = feature.properties;
      const geometry = feature.geometry;
      if (!geometry || geometry.type !== 'Point') return;
      seen.add(p.id);
      const latlng = [geometry.coordinates[1], geometry.coordinates[0]];
      const state = displayState(p);
      let entry = view.markers.get(p.id);
      if (!entry) {
        const marker = L.marker(latlng, {
          icon: iconFor(state), title: titleFor(p), keyboard: true, riseOnHover: true,
        });
        marker.bindPopup(popupFor(p, view.el));
        marker.addTo(view.layer);
        entry = { marker: marker, state: state };
        view.markers.set(p.id, entry);
      } else {
        entry.marker.setLatLng(latlng);
        entry.marker.setPopupContent(popupFor(p, view.el));
        if (entry.state !== state) {
          entry.marker.options.title = titleFor(p);
          entry.marker.setIcon(iconFor(state));
          entry.state = state;
        }
      }
      const element = entry.marker.getElement();
      if (element) element.dataset.state = state;
    });
    view.markers.forEach(function (entry, id) {
      if (!seen.has(id)) {
        view.layer.removeLayer(entry.marker);
        view.markers.delete(id);
      }
    });
    const summary = document.getElementById('sensor-summary');
    const text = summaryText(features);
    if (summary && summary.textContent.trim() !== text) summary.textContent = text;
    const refreshed = document.getElementById('sensor-refreshed');
    if (refreshed) {
      refreshed.textContent = formatTime(new Date().toISOString(), view.el, {
        hour: '2-digit', minute: '2-digit', second: '2-digit',
      });
    }
    updateTable(features, view.el);
  }

  async function refresh(view) {
    if (document.hidden || view.busy) return;
    view.busy = true;
    try {
      render(view, await fetchFeatures(view.el));
      showRefreshError(view.el, false);
    } catch (err) {
      showRefreshError(view.el, true);
    } finally {
      view.busy = false;
    }
  }

  // The communes' outlines give the points a place when there is no tile layer (offline).
  async function addOutlines(map, url, fit) {
    if (!url) return;
    try {
      const response = await fetch(url, { credentials: 'same-origin' });
      if (!response.ok) return;
      const outlines = L.geoJSON(await response.json(), {
        interactive: false,
        style: { color: '#6b7280', weight: 1, fill: true, fillColor: '#ffffff', fillOpacity: 0.6 },
      }).addTo(map);
      outlines.bringToBack();
      if (fit && outlines.getBounds().isValid()) map.fitBounds(outlines.getBounds());
    } catch (err) {
      // The sensors matter, the outlines are context: the map goes on without them.
    }
  }

  async function initMap(el) {
    let features;
    try {
      features = await fetchFeatures(el);
    } catch (err) {
      el.classList.add('map-error');
      el.textContent = el.dataset.errorText || '';
      return;
    }
    const map = L.map(el, {
      scrollWheelZoom: false, zoomSnap: 0.25, zoomControl: false,
      zoomAnimation: !reduceMotion, fadeAnimation: !reduceMotion,
      markerZoomAnimation: !reduceMotion,
    });
    L.control.zoom({
      zoomInTitle: el.dataset.zoomInTitle || 'Zoom in',
      zoomOutTitle: el.dataset.zoomOutTitle || 'Zoom out',
    }).addTo(map);
    const tileUrl = el.dataset.tileUrl;
    if (typeof tileUrl === 'string' && tileUrl.trim() !== '') {
      L.tileLayer(tileUrl, { attribution: el.dataset.tileAttribution || '' }).addTo(map);
    }
    addOutlines(map, el.dataset.outlineUrl, !features.length);
    const points = features
      .filter(function (f) { return f.geometry && f.geometry.type === 'Point'; })
      .map(function (f) { return [f.geometry.coordinates[1], f.geometry.coordinates[0]]; });
    // Fitted once, before the markers exist (Leaflet draws them only on a map with a view);
    // later refreshes never move the map under the reader's eyes.
    if (points.length) map.fitBounds(L.latLngBounds(points), { padding: [24, 24], maxZoom: 16 });
    else map.setView([46.6, 2.4], 5);
    const view = { el: el, map: map, layer: L.layerGroup().addTo(map), markers: new Map() };
    render(view, features);
    const seconds = Math.max(5, parseInt(el.dataset.refreshSeconds || '30', 10) || 30);
    window.setInterval(function () { refresh(view); }, seconds * 1000);
    document.addEventListener('visibilitychange', function () {
      if (!document.hidden) refresh(view);
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('.sensor-map[data-map-url]').forEach(initMap);
  });
})();
