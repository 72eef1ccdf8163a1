// The sign-in confirmation a computer's 小程序码 (or the site's URL Link) opens: the person sees which
// site and device ask, picks the number the computer shows, and confirms, perhaps sharing the WeChat
// phone number. The site's API: POST /api/miniprogram/{scan,confirm,cancel}.
var config = require("../../config");
var i18n = require("../../i18n");

// 单页模式 (a page opened from Moments) has no login state: wx.login and open-type buttons do nothing.
var SINGLE_PAGE_SCENE = 1154;

function pad(n) {
  return n < 10 ? "0" + n : String(n);
}

function formatTime(iso) {
  var date = new Date(iso);
  if (isNaN(date.getTime())) return "";
  return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + " " + pad(date.getHours()) + ":" + pad(date.getMinutes());
}

// A code's scene arrives URL-encoded (scene=a%3D1); a URL Link's query does not. Decoding is harmless
// for the ticket's charset, and a stray "%" must not throw.
function decodeScene(value) {
  var raw = value === undefined || value === null ? "" : String(value);
  try {
    return decodeURIComponent(raw);
  } catch (_e) {
    return raw;
  }
}

Page({
  data: {
    state: "loading",
    texts: {},
    message: "",
    canRetry: false,
    site: "",
    device: { name: "", ip: "", time: "" },
    choices: [],
    picked: "",
    phoneOffer: false,
    phoneNote: "",
  },

  onLoad: function (query) {
    var language = i18n.load();
    this.lang = language.lang;
    this.texts = language.texts;
    this.token = "";
    this.retryStep = null;
    this.setData({ texts: this.texts });
    var launch = wx.getLaunchOptionsSync();
    if (launch && launch.scene === SINGLE_PAGE_SCENE) return this.showError(this.texts.singlePage, null);
    this.scene = decodeScene(query && query.scene);
    if (!this.scene) return this.showError(this.texts.missingScene, null);
    this.scan();
  },

  /** wx.login for a fresh code, then report the scan. */
  scan: function () {
    var page = this;
    page.token = "";
    page.setData({ state: "loading", message: "", canRetry: false, picked: "", phoneNote: "" });
    wx.login({
      success: function (res) {
        if (!res || !res.code) return page.showError(page.texts.loginFailed, page.scan);
        page.post("/api/miniprogram/scan", { scene: page.scene, code: res.code }, page.scan, function (body) {
          page.token = body.token;
          var device = body.device || {};
          page.setData({
            state: "ready",
            site: body.site || "",
            device: { name: device.name || page.texts.unknownDevice, ip: device.ip || "", time: formatTime(device.time) },
            choices: body.choices || [],
            phoneOffer: body.phoneOffer === true,
          });
        });
      },
      fail: function () {
        page.showError(page.texts.loginFailed, page.scan);
      },
    });
  },

  /** A tap on one of the numbers. */
  pick: function (e) {
    if (this.data.state !== "ready") return;
    this.setData({ picked: String(e.currentTarget.dataset.value) });
  },

  /** Plain Confirm: the picked number only. */
  confirm: function () {
    this.sendConfirm(null);
  },

  /** WeChat's phone button: a code on success; a refusal ("…deny") or any failure confirms without one. */
  onPhoneNumber: function (e) {
    var detail = (e && e.detail) || {};
    var ok = detail.errMsg === "getPhoneNumber:ok" && typeof detail.code === "string" && detail.code !== "";
    this.sendConfirm(ok ? detail.code : null);
  },

  sendConfirm: function (phoneCode) {
    var page = this;
    if (page.data.state !== "ready" || !page.data.picked) return;
    var body = { token: page.token, pick: page.data.picked };
    if (phoneCode) body.phoneCode = phoneCode;
    var step = function () {
      page.setData({ state: "confirming", message: "", canRetry: false });
      page.post("/api/miniprogram/confirm", body, step, function (answer) {
        if (answer.status !== "confirmed") return page.setData({ state: "mismatch", message: page.texts.mismatch });
        var notes = { bound: page.texts.phoneBound, moved: page.texts.phoneMoved, failed: page.texts.phoneFailed };
        page.setData({ state: "confirmed", message: page.texts.confirmed, phoneNote: notes[answer.phone] || "" });
      });
    };
    step();
  },

  cancel: function () {
    var page = this;
    if (page.data.state !== "ready") return;
    var step = function () {
      page.setData({ state: "confirming", message: "", canRetry: false });
      page.post("/api/miniprogram/cancel", { token: page.token }, step, function () {
        page.setData({ state: "cancelled", message: page.texts.cancelled });
      });
    };
    step();
  },

  /** Repeats the step that failed: a fresh scan (new wx.login code), or the confirm or cancel. */
  retry: function () {
    var step = this.retryStep;
    if (typeof step === "function") step.call(this);
  },

  showError: function (message, retryStep) {
    this.retryStep = retryStep;
    this.setData({ state: "error", message: message, canRetry: typeof retryStep === "function" });
  },

  /** POSTs JSON to the site; the site's `{error, message}` is shown as is, a network failure offers a retry. */
  post: function (path, data, retryStep, onSuccess) {
    var page = this;
    wx.request({
      url: config.apiOrigin + path,
      method: "POST",
      data: data,
      header: { "content-type": "application/json", "accept-language": page.lang },
      timeout: 15000,
      success: function (res) {
        var body = res.data && typeof res.data === "object" ? res.data : {};
        if (res.statusCode >= 200 && res.statusCode < 300) return onSuccess(body);
        page.showError(typeof body.message === "string" && body.message ? body.message : page.texts.failed, null);
      },
      fail: function () {
        page.showError(page.texts.network, retryStep);
      },
    });
  },
});
