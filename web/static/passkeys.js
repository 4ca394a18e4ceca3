/* Passkeys (WebAuthn): register on /account/security, sign in at the second step.
   The server sends options as JSON with base64url strings; the browser wants ArrayBuffers. */
(function () {
  "use strict";
  function csrf() { return document.documentElement.getAttribute("data-csrf") || ""; }
  function fromB64url(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out.buffer;
  }
  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body || {})
    }).then(function (resp) {
      return resp.json().then(function (data) {
        if (!resp.ok) { throw new Error(data.error || data.detail || resp.statusText); }
        return data;
      });
    });
  }
  function showError(el, error) { if (el) { el.textContent = String(error.message || error); el.hidden = false; } }
  function credentialJson(cred) {
    var r = cred.response, response = { clientDataJSON: toB64url(r.clientDataJSON) };
    if (r.attestationObject) { response.attestationObject = toB64url(r.attestationObject); }
    if (r.authenticatorData) { response.authenticatorData = toB64url(r.authenticatorData); }
    if (r.signature) { response.signature = toB64url(r.signature); }
    if (r.userHandle) { response.userHandle = toB64url(r.userHandle); }
    if (r.getTransports) { response.transports = r.getTransports(); }
    return { id: cred.id, rawId: toB64url(cred.rawId), type: cred.type, response: response,
             clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {} };
  }
  function register(section) {
    var error = section.querySelector("#passkey-error");
    var name = section.querySelector("#passkey-name");
    post(section.getAttribute("data-options-url")).then(function (o) {
      o.challenge = fromB64url(o.challenge);
      o.user.id = fromB64url(o.user.id);
      (o.excludeCredentials || []).forEach(function (c) { c.id = fromB64url(c.id); });
      return navigator.credentials.create({ publicKey: o });
    }).then(function (cred) {
      return post(section.getAttribute("data-url"), { name: name ? name.value : "", credential: credentialJson(cred) });
    }).then(function (data) { location.assign(data.next); })
      .catch(function (e) { showError(error, e); });
  }
  function signIn(section) {
    var error = section.querySelector("#passkey-error");
    post(section.getAttribute("data-options-url")).then(function (o) {
      o.challenge = fromB64url(o.challenge);
      (o.allowCredentials || []).forEach(function (c) { c.id = fromB64url(c.id); });
      return navigator.credentials.get({ publicKey: o });
    }).then(function (cred) { return post(section.getAttribute("data-url"), credentialJson(cred)); })
      .then(function (data) { location.assign(data.next); })
      .catch(function (e) { showError(error, e); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var add = document.getElementById("add-passkey");
    if (add) { add.addEventListener("click", function () { register(document.getElementById("passkeys")); }); }
    var use = document.getElementById("use-passkey");
    if (use) { use.addEventListener("click", function () { signIn(document.getElementById("passkey-sign-in")); }); }
  });
})();
