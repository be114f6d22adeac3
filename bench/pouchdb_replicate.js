// PouchDB baseline for bench/run.py: two express-pouchdb servers on 127.0.0.1, the source
// filled with the same farm records as our benchmark, then HTTP-to-HTTP replication with
// batch_size 500. Prints one JSON line: {"docs": N, "seconds": S}.
// Usage: node pouchdb_replicate.js RECORDS.json SRC_PORT DST_PORT WORKDIR [VIA_PORT_SRC VIA_PORT_DST]
const fs = require('fs');
const path = require('path');
const express = require('express');
const PouchDB = require('pouchdb-node');

const [file, srcPort, dstPort, workdir, viaSrc, viaDst] = process.argv.slice(2);

function serve(dir, port) {
  fs.mkdirSync(dir, { recursive: true });
  const Local = PouchDB.defaults({ prefix: dir + path.sep });
  const app = express();
  app.use('/', require('express-pouchdb')(Local, { logPath: path.join(dir, 'log.txt'), mode: 'minimumForPouchDB' }));
  return new Promise((resolve) => { const s = app.listen(Number(port), '127.0.0.1', () => resolve(s)); });
}

(async () => {
  const records = JSON.parse(fs.readFileSync(file, 'utf8'));
  const a = await serve(path.join(workdir, 'src'), srcPort);
  const b = await serve(path.join(workdir, 'dst'), dstPort);
  const srcUrl = `http://127.0.0.1:${viaSrc || srcPort}/farm`;
  const dstUrl = `http://127.0.0.1:${viaDst || dstPort}/farm`;
  // Fill the source directly (not through the proxy): only the replication is measured.
  const direct = new PouchDB(`http://127.0.0.1:${srcPort}/farm`);
  for (let i = 0; i < records.length; i += 2000) {
    await direct.bulkDocs(records.slice(i, i + 2000).map((r) => ({ ...r, _id: r.id })));
  }
  const started = process.hrtime.bigint();
  const result = await PouchDB.replicate(new PouchDB(srcUrl), new PouchDB(dstUrl), { batch_size: 500 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const info = await new PouchDB(`http://127.0.0.1:${dstPort}/farm`).info();
  console.log(JSON.stringify({ docs: info.doc_count, written: result.docs_written, seconds }));
  a.close(); b.close();
  process.exit(0);
})().catch((err) => { console.error(err); process.exit(1); });
