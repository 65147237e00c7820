// Renders an API Gateway mapping template with velocityjs and Java-like
// $util/$input/$context stand-ins; used by TestMappingTemplatesRender.
// usage: node render.js TEMPLATE REQUEST.json
// REQUEST: {"body": "...", "headers": {...}, "path": {...}, "requestTime": "...", "integration": {...}}
// prints {"output": "...", "requestOverride": {...}, "responseOverride": {...}}
'use strict';
const fs = require('fs');
const { render } = require('velocityjs');

// Java's String.replaceAll takes a regular expression; String has equalsIgnoreCase.
String.prototype.replaceAll = function (re, rep) { return this.replace(new RegExp(re, 'g'), rep); };
String.prototype.equalsIgnoreCase = function (o) { return this.toLowerCase() === String(o).toLowerCase(); };

// Apache Commons Lang 2 StringEscapeUtils.escapeJavaScript, behind $util.escapeJavaScript.
function escapeJavaScript(s) {
  if (s === null || s === undefined) return s;
  let out = '';
  for (const unit of String(s).split('')) {
    const c = unit.charCodeAt(0);
    switch (unit) {
      case '"': out += '\\"'; break;
      case '\\': out += '\\\\'; break;
      case '/': out += '\\/'; break;
      case "'": out += "\\'"; break;
      case '\b': out += '\\b'; break;
      case '\n': out += '\\n'; break;
      case '\t': out += '\\t'; break;
      case '\f': out += '\\f'; break;
      case '\r': out += '\\r'; break;
      default:
        out += (c < 0x20 || c > 0x7f) ? '\\u' + c.toString(16).toUpperCase().padStart(4, '0') : unit;
    }
  }
  return out;
}

function jsonPath(doc, p) {
  if (p === '$') return doc;
  return p.replace(/^\$\./, '').split('.').reduce((v, k) => (v == null ? undefined : v[k]), doc);
}

const [tplPath, reqPath] = process.argv.slice(2);
const tpl = fs.readFileSync(tplPath, 'utf8');
const req = JSON.parse(fs.readFileSync(reqPath, 'utf8'));
const doc = req.integration !== undefined ? req.integration : JSON.parse(req.body);
const headers = req.headers || {};
const path = req.path || {};
const ctx = {
  input: {
    body: req.body,
    json: (p) => JSON.stringify(jsonPath(doc, p)),
    path: (p) => jsonPath(doc, p),
    params: () => ({
      path: { get: (k) => path[k] },
      header: { keySet: () => Object.keys(headers), get: (k) => headers[k] },
    }),
  },
  util: { escapeJavaScript },
  context: { requestTime: req.requestTime || '', requestOverride: { header: {} }, responseOverride: {} },
};
const output = render(tpl, ctx, {}, { escape: false });
process.stdout.write(JSON.stringify({
  output,
  requestOverride: ctx.context.requestOverride,
  responseOverride: ctx.context.responseOverride,
}));
