/* Servicielle — propositions (ES2017, sans étape de build). À charger après leaflet.js.
 *   #title[data-similar-url]            le formulaire : propositions semblables pendant la saisie
 *   .proposals-map[data-map-url]        la liste en carte : points GeoJSON
 *   .proposal-pin-map                   le formulaire : la carte pose le point (#latitude,
 *                                       #longitude), au clic, au clavier ou « ma position »
 *   .proposal-location-map[data-lat]    la page d'une proposition : son point
 * Sans JavaScript tout fonctionne : l'étape 2 montre les propositions semblables, les
 * coordonnées se tapent, la liste remplace la carte.
 */
(function () {
  'use strict';

  const reduceMotion = window.matchMedia &&
    window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  const FRANCE = [46.6, 2.4];

  function baseMap(el) {
    const fallback = el.querySelector('.map-fallback');
    if (fallback) fallback.remove();
    const map = L.map(el, {
      scrollWheelZoom: false, zoomSnap: 0.25, zoomControl: false,
      zoomAnimation: !reduceMotion, fadeAnimation: !reduceMotion, markerZoomAnimation: !reduceMotion,
    });
    L.control.zoom({
      zoomInTitle: el.dataset.zoomInTitle || 'Zoom in',
      zoomOutTitle: el.dataset.zoomOutTitle || 'Zoom out',
    }).addTo(map);
    const tileUrl = el.dataset.tileUrl;
    if (typeof tileUrl === 'string' && tileUrl.trim() !== '') {
      L.tileLayer(tileUrl, { attribution: el.dataset.tileAttribution || '' }).addTo(map);
    }
    return map;
  }

  async function addOutlines(map, url) {
    if (!url) return null;
    try {
      const response = await fetch(url, { credentials: 'same-origin' });
      if (!response.ok) return null;
      const layer = L.geoJSON(await response.json(), {
        interactive: false,
        style: { color: '#6b7280', weight: 1, fill: true, fillColor: '#ffffff', fillOpacity: 0.6 },
      }).addTo(map);
      layer.bringToBack();
      return layer;
    } catch (err) {
      return null;
    }
  }

  function fit(map, layer) {
    if (layer && layer.getBounds().isValid()) map.fitBounds(layer.getBounds());
  }

  /* ---------- Similar proposals while typing ---------- */

  function initSimilar(input) {
    const box = document.getElementById('similar-live');
    const list = document.getElementById('similar-list');
    const status = document.getElementById('similar-status');
    if (!box || !list || !status) return;
    let timer = null;
    let last = '';
    let asked = 0;
    async function lookUp() {
      const title = input.value.trim();
      if (title === last) return;
      last = title;
      const mine = ++asked;
      if (title.length < 3) { box.hidden = true; status.textContent = ''; return; }
      let data;
      try {
        const url = input.dataset.similarUrl + '?titre=' + encodeURIComponent(title);
        const response = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
        if (!response.ok) return;
        data = await response.json();
      } catch (err) {
        return;
      }
      // An answer to an older title, arriving after a newer one's, is dropped.
      if (mine !== asked) return;
      list.textContent = '';
      data.items.forEach(function (item) {
        const li = document.createElement('li');
        const link = document.createElement('a');
        link.href = item.url;
        link.textContent = item.title;
        li.appendChild(link);
        li.appendChild(document.createTextNode(' (' + item.supports + '\u00a0' + (box.dataset.supportsLabel || '') + ')'));
        list.appendChild(li);
      });
      box.hidden = false;
      status.textContent = data.items.length ? (box.dataset.heading || '') : (box.dataset.none || '');
    }
    input.addEventListener('input', function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(lookUp, 350);
    });
  }

  /* ---------- The list's map ---------- */

  function popupFor(properties, el) {
    const box = document.createElement('div');
    const link = document.createElement('a');
    link.href = properties.url;
    link.textContent = properties.title;
    box.appendChild(link);
    const supports = document.createElement('p');
    supports.textContent = properties.supports + '\u00a0' + (el.dataset.supportsLabel || '');
    box.appendChild(supports);
    return box;
  }

  async function initListMap(el) {
    let data;
    try {
      const response = await fetch(el.dataset.mapUrl, {
        credentials: 'same-origin', headers: { Accept: 'application/geo+json, application/json' },
      });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      data = await response.json();
    } catch (err) {
      el.classList.add('map-error');
      el.textContent = el.dataset.errorText || '';
      return;
    }
    const map = baseMap(el);
    map.setView(FRANCE, 5);
    const outlines = addOutlines(map, el.dataset.outlineUrl);
    const points = [];
    L.geoJSON(data, {
      pointToLayer(feature, latlng) {
        points.push(latlng);
        return L.circleMarker(latlng, { radius: 7, weight: 2, color: '#1d4ed8', fillColor: '#1d4ed8', fillOpacity: 0.8 });
      },
      onEachFeature(feature, layer) { layer.bindPopup(popupFor(feature.properties, el)); },
    }).addTo(map);
    if (points.length) map.fitBounds(L.latLngBounds(points), { padding: [24, 24], maxZoom: 16 });
    else fit(map, await outlines);
  }

  /* ---------- The form's point ---------- */

  function initPinMap(el) {
    const block = el.closest('[data-pin]');
    const lat = document.getElementById('latitude');
    const lon = document.getElementById('longitude');
    const status = document.getElementById('pin-status');
    const locate = document.getElementById('locate-me');
    const centre = document.getElementById('pin-centre');
    const clear = document.getElementById('pin-clear');
    if (!block || !lat || !lon) return;
    block.hidden = false;
    const map = baseMap(el);
    const icon = L.divIcon({ className: 'proposal-pin-marker', iconSize: [20, 20] });
    let marker = null;

    function announce(text) {
      if (!status) return;
      status.textContent = '';
      window.setTimeout(function () { status.textContent = text || ''; }, 50);
    }
    function setPin(latlng, text) {
      if (marker) marker.setLatLng(latlng);
      else marker = L.marker(latlng, { icon: icon, interactive: false, keyboard: false }).addTo(map);
      lat.value = latlng.lat.toFixed(6);
      lon.value = latlng.lng.toFixed(6);
      if (clear) clear.hidden = false;
      if (text !== null) announce(text);
    }
    map.on('click', function (event) { setPin(event.latlng, el.dataset.placedText); });
    // Keyboard: the arrows move the map (Leaflet), Enter places the point at its centre.
    el.addEventListener('keydown', function (event) {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        setPin(map.getCenter(), el.dataset.placedText);
      }
    });
    if (centre) centre.addEventListener('click', function () { setPin(map.getCenter(), el.dataset.placedText); });
    if (clear) {
      clear.addEventListener('click', function () {
        if (marker) map.removeLayer(marker);
        marker = null;
        lat.value = '';
        lon.value = '';
        clear.hidden = true;
        announce(el.dataset.clearedText);
        el.focus();
      });
    }
    if (locate && 'geolocation' in navigator) {
      locate.hidden = false;
      locate.addEventListener('click', function () {
        announce(el.dataset.locatingText);
        navigator.geolocation.getCurrentPosition(function (position) {
          const here = L.latLng(position.coords.latitude, position.coords.longitude);
          setPin(here, el.dataset.deviceText);
          map.setView(here, 17);
        }, function () { announce(el.dataset.deniedText); },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    }
    const outlines = addOutlines(map, el.dataset.outlineUrl);
    const startLat = parseFloat(String(lat.value).replace(',', '.'));
    const startLon = parseFloat(String(lon.value).replace(',', '.'));
    if (isFinite(startLat) && isFinite(startLon) && Math.abs(startLat) <= 90 && Math.abs(startLon) <= 180) {
      const start = L.latLng(startLat, startLon);
      map.setView(start, 16);
      setPin(start, null);
    } else {
      map.setView(FRANCE, 5);
      outlines.then(function (layer) { fit(map, layer); });
    }
  }

  /* ---------- One proposal's place ---------- */

  function initLocationMap(el) {
    const lat = parseFloat(el.dataset.lat);
    const lon = parseFloat(el.dataset.lon);
    if (!isFinite(lat) || !isFinite(lon)) return;
    const point = L.latLng(lat, lon);
    const map = baseMap(el);
    map.setView(point, 16);
    addOutlines(map, el.dataset.outlineUrl);
    L.marker(point, {
      icon: L.divIcon({ className: 'proposal-pin-marker', iconSize: [20, 20] }),
      interactive: false, keyboard: false,
    }).addTo(map);
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('#title[data-similar-url]').forEach(initSimilar);
    if (typeof L === 'undefined') return;
    document.querySelectorAll('.proposals-map[data-map-url]').forEach(initListMap);
    document.querySelectorAll('.proposal-pin-map').forEach(initPinMap);
    document.querySelectorAll('.proposal-location-map[data-lat]').forEach(initLocationMap);
  });
})();
