// Runs inside the render isolate, after nunjucks' browser build and the JSON Schema validator.
// Nothing of the worker is visible here: no process, no require, no file system; templates are
// read through one host function that serves only files inside the ops repository path.
//
// It hardens nunjucks (defence in depth behind the isolate itself), makes interpolated values
// YAML data instead of YAML text, counts the output while it is produced, and exposes one entry:
// __deployerRender(request JSON, readTemplate reference) → result JSON.
'use strict';
(function (global) {
  var nunjucks = global.nunjucks;
  var lib = nunjucks.lib;
  var runtime = nunjucks.runtime;
  var SafeString = runtime.SafeString;
  var validateJsonSchema = global.__deployerJsonSchema;
  delete global.nunjucks;
  delete global.__deployerJsonSchema;

  // Member names that lead from any value to Function, prototypes or engine internals.
  var FORBIDDEN_MEMBERS = {
    constructor: true, __proto__: true, prototype: true, caller: true, callee: true, arguments: true,
    __defineGetter__: true, __defineSetter__: true, __lookupGetter__: true, __lookupSetter__: true,
    getBuiltinModule: true, mainModule: true, binding: true,
  };

  function sandboxError(type, message) {
    var error = new Error(message);
    error.deployerType = type;
    return error;
  }

  function assertAllowedMember(name) {
    var key = String(name);
    if (Object.prototype.hasOwnProperty.call(FORBIDDEN_MEMBERS, key)) {
      throw sandboxError('TemplateForbidden', 'access to the member ' + JSON.stringify(key) + ' is not allowed in templates');
    }
  }

  // --- timers --------------------------------------------------------------------------------
  // nunjucks defers some callbacks (asap → setTimeout). An isolate has no event loop of ours, so
  // deferred work is queued and run before the render returns.
  var deferred = [];
  global.setTimeout = function (fn) {
    deferred.push(fn);
    return deferred.length;
  };
  // asap pairs its setTimeout with a setInterval that the timeout's handler clears.
  global.setInterval = function () { return 0; };
  global.clearTimeout = function () {};
  global.clearInterval = function () {};
  function runDeferred(onError) {
    while (deferred.length > 0) {
      var fn = deferred.shift();
      try {
        fn();
      } catch (error) {
        onError(error);
      }
    }
  }

  // --- hardening -------------------------------------------------------------------------------
  var memberLookup = runtime.memberLookup;
  runtime.memberLookup = function (obj, val) {
    assertAllowedMember(val);
    return memberLookup.apply(this, arguments);
  };
  // sort(attribute=…), groupby, sum, selectattr read members by a dotted path of their own.
  var getAttrGetter = lib.getAttrGetter;
  lib.getAttrGetter = function (attribute) {
    String(attribute).split('.').forEach(assertAllowedMember);
    return getAttrGetter.apply(this, arguments);
  };

  // --- output accounting -----------------------------------------------------------------------
  var budget = { emitted: 0, limit: Infinity };
  function count(text) {
    budget.emitted += utf8Length(text);
    if (budget.emitted > budget.limit) {
      throw sandboxError('TemplateTooLarge', 'the template produced more than ' + budget.limit + ' bytes of output');
    }
    return text;
  }
  function utf8Length(text) {
    var bytes = 0;
    for (var i = 0; i < text.length; i++) {
      var code = text.charCodeAt(i);
      if (code < 0x80) bytes += 1;
      else if (code < 0x800) bytes += 2;
      else if (code >= 0xd800 && code <= 0xdbff) { bytes += 4; i++; }
      else bytes += 3;
    }
    return bytes;
  }
  runtime.countOutput = count;

  // Literal template text is appended without passing through suppressValue; route it through the
  // counter too, so a loop of plain text is stopped while it runs.
  var nodes = nunjucks.nodes;
  nunjucks.compiler.Compiler.prototype.compileOutput = function (node, frame) {
    var self = this;
    node.children.forEach(function (child) {
      if (child instanceof nodes.TemplateData) {
        if (child.value) {
          self._emit(self.buffer + ' += runtime.countOutput(');
          self.compileLiteral(child, frame);
          self._emitLine(');');
        }
      } else {
        self._emit(self.buffer + ' += runtime.suppressValue(');
        if (self.throwOnUndefined) self._emit('runtime.ensureDefined(');
        self.compile(child, frame);
        if (self.throwOnUndefined) self._emit(',' + node.lineno + ',' + node.colno + ')');
        self._emit(', env.opts.autoescape);\n');
      }
    });
  };

  // --- values are data -------------------------------------------------------------------------
  // A string is written as it is only when no YAML reader could see structure in it wherever a
  // template puts it: no line break or control character, no ": " or " #", no flow indicators or
  // quotes, no leading indicator, no document marker, no edge spaces. Anything else is written as a
  // double-quoted scalar, which can never end the value it stands in.
  var UNSAFE_PLAIN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff,[\]{}"'\\]|: |:$| #|^[-?:](?: |$)|^[?:#&*!|>%@`]|^(?:---|\.\.\.)|^ | $/;

  function quoted(text) {
    return JSON.stringify(text).replace(/[\u0085\u2028\u2029]/g, function (c) {
      return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
    });
  }

  function yamlText(text) {
    return UNSAFE_PLAIN.test(text) ? quoted(text) : text;
  }

  // Objects and lists go out as JSON, which is YAML flow syntax with every string quoted.
  function flow(value) {
    var json;
    try {
      json = JSON.stringify(value);
    } catch (error) {
      json = undefined;
    }
    return json === undefined ? quoted(String(value)) : json.replace(/[\u0085\u2028\u2029]/g, function (c) {
      return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
    });
  }

  function asYamlValue(value) {
    if (value instanceof SafeString) return String(value);
    if (typeof value === 'string') return yamlText(value);
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
    if (typeof value === 'function') return quoted(String(value.name || 'function'));
    return flow(value);
  }

  runtime.suppressValue = function (value) {
    if (value === undefined || value === null) value = '';
    return count(asYamlValue(value));
  };

  // Block YAML of a value, for `| toYaml(indent)`. Strings keep their type: anything a YAML 1.1
  // reader would take for another type (yes, 0644, null, 1e3) is quoted.
  var PLAIN_STRING = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
  var YAML11_WORDS = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL)$/;
  function scalarYaml(value) {
    if (value === null || value === undefined) return 'null';
    if (typeof value === 'string') return PLAIN_STRING.test(value) && !YAML11_WORDS.test(value) ? value : quoted(value);
    if (typeof value === 'number') return isFinite(value) ? String(value) : quoted(String(value));
    if (typeof value === 'boolean') return String(value);
    return quoted(String(value));
  }
  function isMapping(value) {
    return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof SafeString);
  }
  function blockYaml(value, indent) {
    var pad = ' '.repeat(indent);
    if (Array.isArray(value)) {
      if (value.length === 0) return [pad + '[]'];
      var lines = [];
      value.forEach(function (item) {
        if ((isMapping(item) && Object.keys(item).length > 0) || (Array.isArray(item) && item.length > 0)) {
          var inner = blockYaml(item, indent + 2);
          lines.push(pad + '- ' + inner[0].slice(indent + 2));
          for (var i = 1; i < inner.length; i++) lines.push(inner[i]);
        } else {
          lines.push(pad + '- ' + scalarOrEmpty(item));
        }
      });
      return lines;
    }
    if (isMapping(value)) {
      var keys = Object.keys(value);
      if (keys.length === 0) return [pad + '{}'];
      var out = [];
      keys.forEach(function (key) {
        var item = value[key];
        var name = scalarYaml(key);
        if ((isMapping(item) && Object.keys(item).length > 0) || (Array.isArray(item) && item.length > 0)) {
          out.push(pad + name + ':');
          blockYaml(item, Array.isArray(item) ? indent : indent + 2).forEach(function (line) { out.push(line); });
        } else {
          out.push(pad + name + ': ' + scalarOrEmpty(item));
        }
      });
      return out;
    }
    return [pad + scalarYaml(value)];
  }
  function scalarOrEmpty(value) {
    if (Array.isArray(value)) return '[]';
    if (isMapping(value)) return '{}';
    return scalarYaml(value);
  }

  function toYaml(value, indent) {
    if (indent === undefined || indent === null) return new SafeString(blockYaml(value, 0).join('\n'));
    var width = Number(indent);
    if (!(width >= 0 && width <= 64 && Math.floor(width) === width)) {
      throw sandboxError('TemplateError', 'toYaml(indent): indent must be a whole number from 0 to 64, not ' + String(indent));
    }
    // Like Helm's `toYaml | nindent n`: a new line, then the block indented by n spaces.
    return new SafeString('\n' + blockYaml(value, width).join('\n'));
  }

  function dump(value, spaces) {
    var json = JSON.stringify(value, null, spaces);
    return new SafeString(json === undefined ? 'null' : json.replace(/[\u0085\u2028\u2029]/g, function (c) {
      return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
    }));
  }

  // The explicit opt-out: the template means to write YAML text itself.
  function raw(value) {
    if (value === undefined || value === null) value = '';
    return new SafeString(String(value));
  }

  // nunjucks' HTML escaping would mark a value safe without making it YAML-safe.
  function escapeAsYaml(value) {
    return new SafeString(asYamlValue(value === undefined || value === null ? '' : value));
  }

  // --- templates from the host -----------------------------------------------------------------
  function normalise(path) {
    var parts = [];
    path.split('/').forEach(function (part) {
      if (part === '' || part === '.') return;
      if (part === '..' && parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
      else parts.push(part);
    });
    return parts.join('/');
  }

  function hostLoader(readTemplate, preloaded) {
    return {
      getSource: function (name) {
        var key = String(name);
        var found = Object.prototype.hasOwnProperty.call(preloaded, key)
          ? preloaded[key]
          : readTemplate.applySync(undefined, [key], { result: { copy: true } });
        return found ? { src: found.src, path: found.path, noCache: true } : null;
      },
      isRelative: function (name) {
        return name.indexOf('./') === 0 || name.indexOf('../') === 0;
      },
      resolve: function (from, to) {
        var dir = from.lastIndexOf('/') === -1 ? '' : from.slice(0, from.lastIndexOf('/'));
        // A leading "../" that climbs above the root stays, so the host refuses it by name.
        var joined = dir ? dir + '/' + to : to;
        var climbs = 0;
        var parts = [];
        joined.split('/').forEach(function (part) {
          if (part === '' || part === '.') return;
          if (part === '..') {
            if (parts.length > 0) parts.pop();
            else climbs++;
          } else parts.push(part);
        });
        return '../'.repeat(climbs) + normalise(parts.join('/'));
      },
    };
  }

  function describeError(error) {
    var cause = error && error.cause;
    var type = (error && error.deployerType) || (cause && cause.deployerType) || 'TemplateError';
    return {
      type: type,
      message: error && error.message !== undefined ? String(error.message) : String(error),
      lineno: error && typeof error.lineno === 'number' ? error.lineno : undefined,
      colno: error && typeof error.colno === 'number' ? error.colno : undefined,
      wrapped: cause !== undefined,
    };
  }

  global.__deployerRender = function (requestJson, readTemplate) {
    var request = JSON.parse(requestJson);
    if (request.valuesSchema !== undefined) {
      var problems = validateJsonSchema(request.valuesSchema, request.context.values);
      if (problems.length > 0) return JSON.stringify({ schemaErrors: problems });
    }
    budget.emitted = 0;
    budget.limit = request.maxOutputBytes;
    var env = new nunjucks.Environment(hostLoader(readTemplate, request.preloaded || {}), { autoescape: true, throwOnUndefined: true, dev: true });
    env.addFilter('toYaml', toYaml);
    env.addFilter('dump', dump);
    env.addFilter('raw', raw);
    env.addFilter('escape', escapeAsYaml);
    env.addFilter('e', escapeAsYaml);
    env.addFilter('forceescape', escapeAsYaml);
    var result;
    // A synchronous loader makes nunjucks call back before render returns.
    deferred.length = 0;
    function fail(error) {
      if (result === undefined) result = { error: describeError(error) };
    }
    try {
      env.render(request.templatePath, request.context, function (error, output) {
        if (error) fail(error);
        else if (result === undefined) result = { output: output === undefined || output === null ? '' : String(output) };
      });
    } catch (error) {
      fail(error);
    }
    runDeferred(fail);
    if (result === undefined) result = { error: { type: 'TemplateError', message: 'the template did not finish rendering', wrapped: false } };
    return JSON.stringify(result);
  };
})(globalThis);
