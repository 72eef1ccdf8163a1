// A small stand-in for the mini-program runtime: enough of it to run the login page's own source in
// Node (its tests) and in a browser (the emulator's phone page). The page's files are evaluated as
// WeChat does, as CommonJS functions given `Page`, `wx` and `require`; the caller supplies `wx`.

function resolvePath(from, request) {
  var parts = from.split("/").slice(0, -1);
  var segments = request.replace(/\.js$/, "").split("/");
  for (var i = 0; i < segments.length; i++) {
    var segment = segments[i];
    if (segment === "..") parts.pop();
    else if (segment !== "." && segment !== "") parts.push(segment);
  }
  return parts.join("/");
}

function copy(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/**
 * Evaluates `sources[page]` (default "pages/login/login") and returns its page instance:
 * `load(query)` runs onLoad, `call(name, event)` a method (as a tap or a button's bind* would),
 * `data()` a copy of the current data. `setData` merges shallowly, then calls `onRender(data)`.
 * `require` resolves against `sources`; "config" answers `options.config` when given.
 */
export function createMiniProgram(options) {
  var sources = options.sources;
  var wx = options.wx;
  var onRender = options.onRender || function () {};
  var pagePath = options.page || "pages/login/login";
  var modules = {};
  var definition = null;
  var app = {};

  function definePage(object) {
    definition = object;
  }

  function getApp() {
    return app;
  }

  function load(name) {
    if (name === "config" && options.config) return options.config;
    if (modules[name]) return modules[name].exports;
    var source = sources[name];
    if (typeof source !== "string") throw new Error("mini program: no source for " + name);
    var record = { exports: {} };
    modules[name] = record;
    var run = new Function("Page", "wx", "require", "getApp", "module", "exports", source);
    run(
      definePage,
      wx,
      function (request) {
        return load(resolvePath(name, request));
      },
      getApp,
      record,
      record.exports,
    );
    return record.exports;
  }

  load(pagePath);
  if (!definition) throw new Error("mini program: " + pagePath + " did not call Page()");

  var data = copy(definition.data) || {};
  var instance = { route: pagePath };
  Object.keys(definition).forEach(function (key) {
    if (key !== "data") instance[key] = definition[key];
  });
  Object.defineProperty(instance, "data", {
    get: function () {
      return data;
    },
  });
  instance.setData = function (patch, callback) {
    var next = {};
    Object.keys(data).forEach(function (key) {
      next[key] = data[key];
    });
    Object.keys(patch || {}).forEach(function (key) {
      next[key] = copy(patch[key]);
    });
    data = next;
    onRender(copy(data));
    if (typeof callback === "function") callback();
  };

  return {
    page: instance,
    load: function (query) {
      if (typeof instance.onLoad === "function") instance.onLoad(query || {});
      if (typeof instance.onShow === "function") instance.onShow();
    },
    call: function (name, event) {
      var method = instance[name];
      if (typeof method !== "function") throw new Error("mini program: the page has no method " + name);
      return method.call(instance, event || { type: "tap", detail: {}, currentTarget: { dataset: {} }, target: { dataset: {} } });
    },
    data: function () {
      return copy(data);
    },
  };
}
