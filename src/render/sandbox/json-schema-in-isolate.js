// Runs inside the render isolate before in-isolate.js: a small URL (the validator resolves
// $ref with it, and an isolate has no Web APIs) and `__deployerJsonSchema(schema, values)`, which
// validates values against a values.schema.json with @cfworker/json-schema (an interpreter: no
// code is generated from the schema) and answers a list of problems naming the value path.
// `__deployerJsonSchemaModules` (the package's CommonJS files, by name) is defined just before.
'use strict';
(function (global) {
  // Enough of WHATWG URL for resolving references against an absolute base: href and hash.
  function MiniURL(reference, base) {
    var ref = String(reference);
    var absolute = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(ref);
    var href;
    if (absolute) href = ref;
    else {
      var baseHref = String(base === undefined ? '' : base instanceof MiniURL ? base.href : base);
      if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(baseHref)) throw new TypeError('Invalid URL: ' + ref);
      var baseNoHash = baseHref.split('#')[0];
      if (ref === '' ) href = baseNoHash;
      else if (ref.charAt(0) === '#') href = baseNoHash + ref;
      else {
        var origin = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*)/.exec(baseNoHash);
        var root = origin ? origin[1] : baseNoHash.replace(/:.*$/, ':');
        if (ref.indexOf('//') === 0) href = baseNoHash.replace(/:.*$/, ':') + ref;
        else if (ref.charAt(0) === '/') href = root + ref;
        else {
          var path = baseNoHash.slice(root.length).split('?')[0];
          href = root + path.slice(0, path.lastIndexOf('/') + 1) + ref;
        }
      }
    }
    var hashAt = href.indexOf('#');
    this._base = hashAt === -1 ? href : href.slice(0, hashAt);
    this._hash = hashAt === -1 || hashAt === href.length - 1 ? '' : href.slice(hashAt);
  }
  Object.defineProperty(MiniURL.prototype, 'href', {
    get: function () { return this._base + this._hash; },
  });
  Object.defineProperty(MiniURL.prototype, 'hash', {
    get: function () { return this._hash; },
    set: function (value) {
      var text = String(value);
      this._hash = text === '' || text === '#' ? '' : text.charAt(0) === '#' ? text : '#' + text;
    },
  });
  MiniURL.prototype.toString = function () { return this.href; };

  var sources = global.__deployerJsonSchemaModules;
  delete global.__deployerJsonSchemaModules;
  var cache = {};
  function load(name) {
    if (cache[name]) return cache[name].exports;
    var factory = sources[name];
    if (!factory) throw new Error('json-schema: no module ' + name);
    var module = { exports: {} };
    cache[name] = module;
    factory.call(module.exports, module, module.exports, function (request) {
      return load(request.replace(/^\.\//, ''));
    }, MiniURL);
    return module.exports;
  }
  var Validator = load('index.js').Validator;

  // "#/resources/limits/0" → "values.resources.limits[0]"
  function valuePath(location) {
    var path = 'values';
    String(location).replace(/^#/, '').split('/').slice(1).forEach(function (token) {
      var key = token.replace(/~1/g, '/').replace(/~0/g, '~');
      path += /^\d+$/.test(key) ? '[' + key + ']' : /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? '.' + key : '[' + JSON.stringify(key) + ']';
    });
    return path;
  }

  // Keywords that only say "a sub-schema failed"; the sub-schema's own error says what.
  var SUMMARY_KEYWORDS = { properties: true, items: true, prefixItems: true, allOf: true, $ref: true, additionalItems: true, unevaluatedItems: true };

  global.__deployerJsonSchema = function (schema, values) {
    var draft = typeof schema.$schema === 'string' && schema.$schema.indexOf('draft-04') !== -1 ? '4'
      : typeof schema.$schema === 'string' && schema.$schema.indexOf('draft-07') !== -1 ? '7'
      : typeof schema.$schema === 'string' && schema.$schema.indexOf('2019-09') !== -1 ? '2019-09' : '2020-12';
    var result = new Validator(schema, draft, false).validate(values);
    if (result.valid) return [];
    var problems = [];
    var seen = {};
    result.errors.forEach(function (error) {
      if (SUMMARY_KEYWORDS[error.keyword]) return;
      var text = valuePath(error.instanceLocation) + ': ' + String(error.error).replace(/^Instance /, '').replace(/\.$/, '');
      if (seen[text]) return;
      seen[text] = true;
      problems.push(text);
    });
    if (problems.length === 0) problems.push('values: do not match values.schema.json');
    return problems.slice(0, 20);
  };
})(globalThis);
