// Validates an AsyncAPI document with the official parser (@asyncapi/parser),
// resolving its relative $refs from the file's folder. Prints every diagnostic;
// exit status 1 on any error or warning, 2 on a usage or I/O error.
// usage: OSSD_ASYNCAPI_MODULES=DIR/node_modules node validate.cjs FILE
'use strict';
const fs = require('fs');
const path = require('path');

const modules = process.env.OSSD_ASYNCAPI_MODULES;
const file = process.argv[2];
if (!modules || !file) {
  console.error('usage: OSSD_ASYNCAPI_MODULES=DIR/node_modules node validate.cjs FILE');
  process.exit(2);
}
const { Parser, fromFile } = require(path.join(modules, '@asyncapi/parser'));

(async () => {
  const parser = new Parser();
  const { document, diagnostics } = await fromFile(parser, path.resolve(file)).parse();
  const names = ['error', 'warning', 'information', 'hint'];
  let bad = 0;
  for (const d of diagnostics) {
    const where = (d.path || []).join('/');
    console.log(`${names[d.severity] || d.severity}: ${d.code}: ${d.message} at /${where}`);
    if (d.severity <= 1) bad++;
  }
  if (!document) {
    console.log('not a valid AsyncAPI document');
    process.exit(1);
  }
  console.log(`asyncapi ${document.version()}: ${document.channels().length} channels, ` +
              `${document.operations().length} operations, ${document.messages().length} messages`);
  process.exit(bad ? 1 : 0);
})().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(2);
});
