/**
 * Source of wxLogin.js as served by the emulator: the same behaviour as WeChat's
 * `res.wx.qq.com/connect/zh_CN/htmledition/js/wxLogin.js`, pointed at the emulator's public origin.
 *
 * Faithful on purpose, quirks included: option values are concatenated without encoding (callers must pass
 * `encodeURIComponent(redirect_uri)`), a missing `state` becomes the string "undefined", and `stylelite` /
 * `fast_login` only count as the numbers 1 / 0.
 * @see https://developers.weixin.qq.com/doc/oplatform/Website_App/WeChat_Login/Wechat_Login.html
 */
export function renderWxLoginJs(publicUrl: string): string {
  const qrconnectUrl = JSON.stringify(`${publicUrl}/connect/qrconnect`);
  return `/* WeChat emulator: wxLogin.js */
!function (win, doc) {
  win.WxLogin = function (options) {
    var selfRedirect = "default";
    if (options.self_redirect === true) selfRedirect = "true";
    else if (options.self_redirect === false) selfRedirect = "false";

    var iframe = doc.createElement("iframe");
    var src = ${qrconnectUrl} + "?appid=" + options.appid + "&scope=" + options.scope +
      "&redirect_uri=" + options.redirect_uri + "&state=" + options.state +
      "&login_type=jssdk&self_redirect=" + selfRedirect +
      "&styletype=" + (options.styletype || "") + "&sizetype=" + (options.sizetype || "") +
      "&bgcolor=" + (options.bgcolor || "") + "&rst=" + (options.rst || "");
    src += options.style ? "&style=" + options.style : "";
    src += options.href ? "&href=" + options.href : "";
    src += options.lang === "en" ? "&lang=en" : "";
    src += options.stylelite === 1 ? "&stylelite=1" : "";
    src += options.fast_login === 0 ? "&fast_login=0" : "";

    iframe.src = src;
    iframe.frameBorder = "0";
    iframe.allowTransparency = "true";
    iframe.scrolling = "no";
    iframe.width = "300px";
    iframe.height = "400px";

    var container = doc.getElementById(options.id);
    container.innerHTML = "";
    container.appendChild(iframe);
  };
}(window, document);
`;
}
