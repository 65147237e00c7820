// Renders an API Gateway mapping template with velocityjs and Java-like
// $util/$input/$context stand-ins; used by TestMappingTemplatesRender.
// usage: node render.js TEMPLATE REQUEST.json
// REQUEST: {"body": "...", "bodyBase64": "...", "headers": {...}, "path": {...},
//           "requestTimeEpoch": 1795600000123, "requestId": "...", "integration": {...}}
// "bodyBase64" is a body API Gateway treats as binary and converts to text
// (binaryMediaTypes + CONVERT_TO_TEXT): $input.body is then that base64
// text, and $input.json / $input.path cannot read it.
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

// $util.base64Decode gives a Java String: the bytes decoded as UTF-8, each
// invalid sequence replaced by U+FFFD, as Buffer does.
function base64Decode(s) { return Buffer.from(String(s), 'base64').toString('utf8'); }
function base64Encode(s) { return Buffer.from(String(s), 'utf8').toString('base64'); }
function parseJson(s) { return JSON.parse(String(s)); }

function jsonPath(doc, p) {
  if (p === '$') return doc;
  return p.replace(/^\$\./, '').split('.').reduce((v, k) => (v == null ? undefined : v[k]), doc);
}

const [tplPath, reqPath] = process.argv.slice(2);
const tpl = fs.readFileSync(tplPath, 'utf8');
const req = JSON.parse(fs.readFileSync(reqPath, 'utf8'));
const binary = req.bodyBase64 !== undefined;
const doc = req.integration !== undefined ? req.integration : (binary ? undefined : JSON.parse(req.body));
const readBody = (f) => (p) => {
  if (binary) throw new Error('$input.json/$input.path cannot read a binary body (base64 text)');
  return f(p);
};
const headers = req.headers || {};
const path = req.path || {};
const ctx = {
  input: {
    body: binary ? req.bodyBase64 : req.body,
    json: readBody((p) => JSON.stringify(jsonPath(doc, p))),
    path: readBody((p) => jsonPath(doc, p)),
    params: () => ({
      path: { get: (k) => path[k] },
      header: { keySet: () => Object.keys(headers), get: (k) => headers[k] },
    }),
  },
  util: { escapeJavaScript, base64Decode, base64Encode, parseJson },
  context: {
    requestTime: req.requestTime || '',
    requestTimeEpoch: req.requestTimeEpoch === undefined ? '' : req.requestTimeEpoch,
    requestId: req.requestId || '',
    requestOverride: { header: {} },
    responseOverride: {},
  },
};
const output = render(tpl, ctx, {}, { escape: false });
process.stdout.write(JSON.stringify({
  output,
  requestOverride: ctx.context.requestOverride,
  responseOverride: ctx.context.responseOverride,
}));
